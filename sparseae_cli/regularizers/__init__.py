"""Regularisers: ``penalty(term: Penalized, cfg) -> scalar``, added to the model's loss.

``term.activation`` has shape (..., B, k): B samples of k units, with optional leading dimensions
for stacked ensembles (each member is penalised on its own batch, then summed). It is the model
output named by ``regularizer.on`` (default ``code``; SAUCIE's terms act on a decoder layer). A
regulariser of the map rather than of its values (the contractive AE's Jacobian norm) also sees the
batch and the model. For activation sparsity, following the part-based AE report (Ponchon 2018, sec.
3.2) and its code, the target is the mean activation of each unit over the batch, t_j = mean_i h_ij,
and the penalty is beta * sum_j S(p, t_j). Any model that exposes an activation can use them. Each
module registers its function with its parameter constraints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable

import torch

from ..errors import UsageError
from ..models.base import batch_mean
from ..params import NON_NEGATIVE, UNIT_OPEN, Interval
from ..registry import Registry, load_plugins

REGULARIZERS: Registry = Registry("regularizer")
STRENGTH = {"beta": NON_NEGATIVE.means("the regularizer's strength")}
TARGET = {**STRENGTH, "p": Interval(float).means("a target mean activation")}
PROBABILITY_TARGET = {**STRENGTH, "p": UNIT_OPEN.means("a target mean activation")}  # KL's p


@dataclass(frozen=True)
class Penalized:
    """What a regulariser sees at one training step."""

    activation: torch.Tensor  # outputs[regularizer.on]
    batch: Mapping[str, torch.Tensor]  # the (possibly corrupted) batch the model saw
    model: torch.nn.Module
    ctx: object = None  # the TrainingContext, None in checks

    def row_mean(self, values: torch.Tensor) -> torch.Tensor:
        """Mean over the batch's real rows of per-row ``values`` (..., B), summed over members."""
        return batch_mean(values, self.batch)

    def unit_means(self) -> torch.Tensor:
        """t_j = mean_i h_ij over the real rows: shape (..., k)."""
        weight = self.batch.get("weight")
        if weight is None:
            return self.activation.mean(dim=-2)
        w = weight.unsqueeze(-1)
        return (w * self.activation).sum(-2) / w.sum(-2)


def make_penalty(cfg, model: torch.nn.Module) -> Callable | None:
    """``cfg.regularizer`` on ``model`` as ``(batch, outputs, ctx) -> scalar``; None for ``none``."""
    name, on = cfg.name, cfg.get("on", "code")
    if name == "none":
        return None
    function = REGULARIZERS.get(name)

    def penalty(batch: Mapping, outputs: dict, ctx=None):
        if on not in outputs:
            raise UsageError(f"regularizer.on={on} is not an output of this model; choose one of: "
                             f"{', '.join(outputs)}")
        return function(Penalized(outputs[on], batch, model, ctx), cfg)

    return penalty


__all__ = ["REGULARIZERS", "Penalized", "make_penalty"]

load_plugins(__name__)
