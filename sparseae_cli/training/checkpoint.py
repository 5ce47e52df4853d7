"""Resumable training: each training phase saves its state every few epochs.

A long run (the part-based AE report's 500 epochs, a preempted SLURM job) started again
in the same folder with the same config picks up at its last checkpoint, not at epoch 0.
A checkpoint holds the model, the optimiser, the epoch losses and the random state of the
batch order, so a resumed run follows the trajectory of an uninterrupted one exactly.
A phase that finished keeps a final checkpoint until the run's metrics are written, so
double descent can resume in phase 2 without retraining phase 1.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from ..errors import UsageError

log = logging.getLogger("sparseae")


@dataclass(frozen=True)
class Checkpoint:
    """The file one training phase of one model (or stacked ensemble) saves to, every ``every`` epochs."""

    path: Path
    every: int
    config_hash: str
    required: bool = False  # resuming is the point (evaluating a checkpoint): never start afresh

    def member(self, name: str) -> Checkpoint:
        """The checkpoint of one model (or stacked ensemble) of a run: a file stem in its folder."""
        return replace(self, path=self.path / name)

    def phase(self, name: str) -> Checkpoint:
        return replace(self, path=self.path.with_name(f"{self.path.name}_{name.replace(' ', '')}.pt"))

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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        torch.save({**state, "config_hash": self.config_hash}, partial)
        os.replace(partial, self.path)  # atomic: a kill mid-write leaves the last good checkpoint
