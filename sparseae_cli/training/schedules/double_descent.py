"""``double_descent`` (Barlaud & Guyard 2021, Algorithm 2).

Train, project the selected weights, keep their support as an explicit mask, rewind the
kept weights to their initial values (``rewind=true``, as the authors' ICASSP-era code) or
keep the projected ones (``rewind=false``, as their later code), then retrain with the
masked entries held at exactly zero.
"""

from __future__ import annotations

import copy

from ...params import NON_NEGATIVE_INT, Optional, Options
from ..constrained import Masks
from ..loop import train_epochs
from . import SCHEDULES, SHARED_PHASES, FitResult

PARAMETERS = {"epochs_phase2": Optional(NON_NEGATIVE_INT), "rewind": Options((True, False)),
              "share_phase1": Options((True, False))}
# What phase 1 does not read: the radius and the constraint (nothing is projected before it
# ends), phase 2's settings, the metrics and the free tag. Keys that change no run at all
# (device, threads, ...) are dropped by records.config_hash as for every run's identity. Every
# other key, including any added later, keys the shared phase 1: an unlisted key can only cost
# a miss, never a wrong reuse.
PHASE1_IGNORES = {"eta", "constraint", "eval", "tag"}
PHASE1_IGNORES_IN_TRAIN = {"epochs_phase2", "rewind", "checkpoint_every"}


@SHARED_PHASES.register("double_descent")
def phase1_inputs(config: dict) -> tuple[frozenset, dict]:
    """Phase 1 (training before any projection) is the same for every radius and constraint:
    the config less PHASE1_IGNORES is all it depends on (with the data's fingerprint)."""
    inputs = {k: v for k, v in config.items() if k not in PHASE1_IGNORES}
    inputs["train"] = {k: v for k, v in config.get("train", {}).items() if k not in PHASE1_IGNORES_IN_TRAIN}
    return frozenset({"phase 1"}), inputs


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
    # Zero gradients keep zero weights at exactly zero under Adam and SGD (their moment
    # buffers stay zero too); the weights are masked again at the end all the same.
    result.history["phase2"] = train_epochs(
        model, batches, train_cfg, train_cfg.epochs if phase2 is None else phase2, penalty,
        after_backward=masks.apply_to_grads, desc="phase 2", progress=progress, checkpoint=checkpoint,
    )
    masks.apply_to_weights()
    return result
