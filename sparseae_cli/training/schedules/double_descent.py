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
from . import SCHEDULES, FitResult

PARAMETERS = {"epochs_phase2": Optional(NON_NEGATIVE_INT), "rewind": Options((True, False))}


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
