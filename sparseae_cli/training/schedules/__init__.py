"""Training schedules (``train.schedule``): how the epoch loop and a constraint combine.

Each module registers ``schedule(model, batches, train_cfg, constraint, *, penalty, progress,
checkpoint) -> FitResult`` with its parameter constraints. The same schedule trains one
model or a stacked ensemble (see ``training.ensemble``): it only needs ``batches`` that match
the model and a constraint that knows how to project the model's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ...registry import Registry, load_plugins
from ..checkpoint import Checkpoint
from ..constrained import ConstrainedParameters

SCHEDULES: Registry = Registry("train.schedule")
# Schedule -> (its phases that jobs differing only in other keys can share, and a function
# config -> the part of the config those phases depend on). See checkpoint.SharedPhases.
SHARED_PHASES: Registry = Registry("shared phases")


@dataclass
class FitResult:
    masks: dict[str, torch.Tensor] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)


def fit(model: nn.Module, batches, train_cfg, constraint: ConstrainedParameters,
        progress: bool = False, penalty=None, checkpoint: Checkpoint | None = None) -> FitResult:
    """Train ``model`` by the schedule ``train_cfg.schedule`` (plain when nothing is constrained).

    ``penalty(batch, outputs, ctx) -> scalar or None`` is added to the model's loss (activation
    sparsity); with a ``checkpoint``, every phase saves and resumes its state in a file of its own.
    """
    name = train_cfg.schedule if constraint.params else "plain"
    schedule = SCHEDULES.get(name)
    return schedule(model, batches, train_cfg, constraint, penalty=penalty, progress=progress,
                    checkpoint=checkpoint)


__all__ = ["SCHEDULES", "SHARED_PHASES", "FitResult", "fit"]

load_plugins(__name__)
