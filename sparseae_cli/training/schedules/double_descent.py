"""``double_descent`` (Barlaud & Guyard 2021, Algorithm 2).

Train, project the selected weights, keep their support as an explicit mask, rewind the
kept weights to their initial values (``rewind=true``, as the authors' ICASSP-era code) or
keep the projected ones (``rewind=false``, as their later code), then retrain with the
masked entries held at exactly zero.

In a sweep (``train.share_phase1``, ``train.share_phase2``) phase 1 is shared by every job that
agrees on what it reads, whatever its radius and constraint; phase 2 by the jobs whose masks and
start weights also agree bit for bit (radii too large to bind, l1 and l1,1 alike, give the same).
"""

from __future__ import annotations

import copy

from omegaconf import OmegaConf

from ... import records
from ...params import NON_NEGATIVE_INT, Optional, Options
from ..checkpoint import state_digest
from ..constrained import Masks
from ..loop import train_epochs
from . import SCHEDULES, SHARED_PHASES, FitResult

PARAMETERS = {"epochs_phase2": Optional(NON_NEGATIVE_INT), "rewind": Options((True, False)),
              "share_phase1": Options((True, False)), "share_phase2": Options((True, False))}
# What phase 1 does not read: the radius and the constraint (nothing is projected before it
# ends), phase 2's settings, the metrics and the free tag. Keys that change no run at all
# (device, threads, ...) are dropped by records.config_hash as for every run's identity. Every
# other key, including any added later, keys the shared phase 1: an unlisted key can only cost
# a miss, never a wrong reuse.
PHASE1_IGNORES = {"eta", "constraint", "eval", "tag"}
PHASE1_IGNORES_IN_TRAIN = {"epochs_phase2", "rewind", "checkpoint_every"}


@SHARED_PHASES.register("double_descent")
def shared_phases(config: dict) -> tuple[frozenset, dict]:
    """The phases a sweep shares (by ``train.share_phase1`` and ``train.share_phase2``) and the
    config they depend on. Phase 1 (training before any projection) is the same for every radius
    and constraint: the config less PHASE1_IGNORES is all it depends on (with the data's
    fingerprint). Phase 2 reads those too, then its own keys and the state phase 1 left
    (``phase2_start``, which keys it further)."""
    inputs = {k: v for k, v in config.items() if k not in PHASE1_IGNORES}
    inputs["train"] = {k: v for k, v in config.get("train", {}).items() if k not in PHASE1_IGNORES_IN_TRAIN}
    train = config.get("train", {})
    shared = {"phase 1": train.get("share_phase1", True), "phase 2": train.get("share_phase2", True)}
    return frozenset(phase for phase, on in shared.items() if on), inputs


def phase2_start(model, masks: dict, train_cfg) -> str:
    """What phase 2 reads beyond phase 1's inputs: the weights it starts from (rewound or
    projected, masked), the masks and every training key (``records.config_hash``'s identity)."""
    train = OmegaConf.to_container(train_cfg, resolve=True) if OmegaConf.is_config(train_cfg) else dict(train_cfg)
    state = {**model.state_dict(), **{f"mask {name}": mask for name, mask in masks.items()}}
    return records.digest([state_digest(state), records.config_hash({"train": train})])


@SCHEDULES.register("double_descent", PARAMETERS)
def double_descent(model, batches, train_cfg, constraint, *, penalty=None, progress=False,
                   checkpoint=None) -> FitResult:
    result = FitResult()
    initial = copy.deepcopy(model.state_dict())
    result.history["phase1"] = train_epochs(model, batches, train_cfg, train_cfg.epochs, penalty,
                                            desc="phase 1", progress=progress, checkpoint=checkpoint)
    constraint.project()
    result.masks = constraint.support()
    if train_cfg.rewind:
        model.load_state_dict(initial)
    masks = Masks(model, result.masks)
    masks.apply_to_weights()
    phase2 = train_cfg.get("epochs_phase2")
    if checkpoint is not None:
        checkpoint = checkpoint.keyed_by(phase2_start(model, result.masks, train_cfg))
    # Zero gradients keep zero weights at exactly zero under Adam and SGD (their moment
    # buffers stay zero too); the weights are masked again at the end all the same.
    result.history["phase2"] = train_epochs(
        model, batches, train_cfg, train_cfg.epochs if phase2 is None else phase2, penalty,
        after_backward=masks.apply_to_grads, desc="phase 2", progress=progress, checkpoint=checkpoint,
    )
    masks.apply_to_weights()
    return result
