"""Resumable training: each training phase saves its state every few epochs.

A long run (the part-based AE report's 500 epochs, a preempted SLURM job) started again
in the same folder with the same config picks up at its last checkpoint, not at epoch 0.
A checkpoint holds the model, the optimiser, the epoch losses and the random state of the
batch order, so a resumed run follows the trajectory of an uninterrupted one exactly.
A phase that finished keeps a final checkpoint until the run's metrics are written, so
double descent can resume in phase 2 without retraining phase 1.

The same files let the jobs of a sweep share a phase (``SharedPhases``): double descent's phase 1
does not depend on the radius or the constraint, so every job of a sweep over them that agrees on
everything else trains the same phase 1. Its state is filed under the hash of exactly what it
depends on; the first job to claim that folder trains it, the others wait for its final state and
resume from it, which ends where training it themselves would (the resume is exact). A phase that
starts from a computed state (double descent's phase 2, after the projection) is keyed by that
state's exact bytes as well (``keyed_by``), so jobs whose masks and start weights agree share it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from .. import claims, records
from ..errors import UsageError

log = logging.getLogger("sparseae")


NEVER = 1 << 62  # ``every`` of a checkpoint saved only when its phase ends
WAIT_SECONDS = 0.2  # poll interval while another job trains a shared phase


@dataclass(frozen=True)
class SharedPhases:
    """Phases trained once for all the jobs whose config agrees on what they depend on: ``phases``
    (e.g. {"phase 1"}) filed in ``folder`` / ``key`` (the hash of those inputs). ``reused`` collects
    the phases this run took from another job instead of training them."""

    folder: Path
    key: str
    phases: frozenset
    reused: list = field(default_factory=list)


@dataclass(frozen=True)
class Checkpoint:
    """The file one training phase of one model (or stacked ensemble) saves to, every ``every`` epochs."""

    path: Path
    every: int
    config_hash: str
    required: bool = False  # resuming is the point (evaluating a checkpoint): never start afresh
    own: bool = True  # the run's own phases save (train.checkpoint_every > 0)
    shared: SharedPhases | None = None

    def keyed_by(self, start: str) -> Checkpoint:
        """This checkpoint with its shared phases keyed by ``start`` too (``state_digest`` of the
        state they start from, with what else they read that the shared key leaves out)."""
        if self.shared is None:
            return self
        return replace(self, shared=replace(self.shared, key=records.digest([self.shared.key, start])))

    def member(self, name: str) -> Checkpoint:
        """The checkpoint of one model (or stacked ensemble) of a run: a file stem in its folder."""
        return replace(self, path=self.path / name)

    def phase(self, name: str) -> Checkpoint | None:
        """The file of phase ``name``: shared when that phase is, else the run's own (None when the
        run saves none)."""
        stem = f"{self.path.name}_{name.replace(' ', '')}.pt"
        if self.shared is not None and name in self.shared.phases:
            return replace(self, path=self.shared.folder / self.shared.key / stem, config_hash=self.shared.key,
                           every=NEVER if not self.own else self.every)
        return replace(self, path=self.path.with_name(stem)) if self.own else None

    @property
    def is_shared(self) -> bool:
        return self.shared is not None and self.path.parent == self.shared.folder / self.shared.key

    @contextlib.contextmanager
    def exclusive(self):
        """Hold this phase while training it: a shared phase is claimed (claims.claim), and a job
        that finds it claimed waits for the holder to finish (or die: a stale claim is taken over),
        then resumes from what it saved."""
        if not self.is_shared:
            yield
            return
        waited = False
        while True:
            with claims.claim(self.path.parent) as holder:
                if holder is None:
                    yield
                    return
            if not waited:
                log.info("waiting for %s, which trains the shared phase %s", holder, self.path)
                waited = True
            time.sleep(WAIT_SECONDS)

    def note_reused(self) -> None:
        if self.is_shared:
            self.shared.reused.append(self.path.name)

    def load(self) -> dict | None:
        """The saved state, or None when there is none for this config."""
        if not self.path.exists():
            if self.required:
                raise UsageError(f"no checkpoint {self.path}: that member has not saved one yet")
            return None
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as exc:  # a truncated or foreign file: say which and how to go on
            raise UsageError(f"cannot read checkpoint {self.path} ({type(exc).__name__}); delete it to "
                             "train that phase from the start") from None
        if state.get("config_hash") != self.config_hash:
            if self.required:
                raise UsageError(f"checkpoint {self.path} belongs to another config than its run's")
            log.info("checkpoint %s belongs to another config; training from the start", self.path)
            return None
        return state

    def save(self, state: dict) -> None:
        """Write ``state`` atomically. A finished phase is only ever resumed to be reused, so its
        optimiser state (twice the model's size, under Adam) is not kept."""
        if state.get("finished"):
            state = {**state, "optimizer": None}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        torch.save({**state, "config_hash": self.config_hash}, partial)
        os.replace(partial, self.path)  # atomic: a kill mid-write leaves the last good checkpoint


def state_digest(tensors: dict[str, torch.Tensor]) -> str:
    """A short hash of named tensors: names, dtypes, shapes and exact bytes (16 hex digits)."""
    h = hashlib.blake2b(digest_size=8)
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous().reshape(-1)
        h.update(f"{name}:{t.dtype}:{tuple(tensors[name].shape)};".encode())
        h.update(t.view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
