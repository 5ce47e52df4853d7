"""Constrained training schedules (Barlaud & Guyard 2021, Algorithm 2).

``double_descent``: train, project the selected weights, keep their support as an
explicit mask, rewind the kept weights to their initial values (``rewind=true``,
as the authors' ICASSP-era code) or keep the projected ones (``rewind=false``, as
their later code), then retrain with the masked entries held at exactly zero.
``projected_gradient``: project after every optimiser step.
``plain``: no constraint during training (the unconstrained baseline).

The same function trains one model or a stacked ensemble (see ``ensemble``): it
only needs ``batches`` that match the model and a constraint that knows how to
project the model's parameters.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from ..errors import UsageError
from .checkpoint import Checkpoint
from .constrained import ConstrainedParameters, Masks
from .loop import train_epochs

SCHEDULES = ("double_descent", "projected_gradient", "plain")


@dataclass
class FitResult:
    masks: dict[str, torch.Tensor] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)


def fit(model: nn.Module, batches, train_cfg, constraint: ConstrainedParameters,
        progress: bool = False, penalty=None, checkpoint: Checkpoint | None = None) -> FitResult:
    """``penalty(code) -> scalar or None`` is added to the model's loss (activation sparsity);
    with a ``checkpoint``, every phase saves and resumes its training state in a file of its own."""
    schedule = train_cfg.schedule
    if schedule not in SCHEDULES:
        raise UsageError(f"unknown train.schedule '{schedule}'; choose one of: {', '.join(SCHEDULES)}")
    result = FitResult()
    if schedule == "plain" or not constraint.params:
        result.history["train"] = train_epochs(model, batches, train_cfg, train_cfg.epochs, penalty,
                                               desc="train", progress=progress, checkpoint=checkpoint)
        return result
    if schedule == "projected_gradient":
        result.history["train"] = train_epochs(model, batches, train_cfg, train_cfg.epochs, penalty,
                                               after_step=constraint.project, desc="projected",
                                               progress=progress, checkpoint=checkpoint)
        result.masks = constraint.support()
        return result

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
