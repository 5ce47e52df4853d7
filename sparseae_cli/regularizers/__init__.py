"""Activation-sparsity regularisers: ``penalty(activation, cfg, ctx) -> scalar``.

An activation has shape (..., B, k): B samples of k units, with optional leading dimensions
for stacked ensembles (each member is penalised on its own batch, then summed). It is the
model output named by ``regularizer.on`` (default ``code``; SAUCIE's terms act on a decoder
layer). Following the part-based AE report (Ponchon 2018, sec. 3.2) and its code, the target
is the mean activation of each unit over the batch, t_j = mean_i h_ij, and the penalty is
beta * sum_j S(p, t_j). Any model that exposes an activation can use them. Each module
registers its function with its parameter constraints.
"""

from __future__ import annotations

from typing import Callable

from ..errors import UsageError
from ..params import NON_NEGATIVE, UNIT_OPEN, Interval
from ..registry import Registry, load_plugins

REGULARIZERS: Registry = Registry("regularizer")
STRENGTH = {"beta": NON_NEGATIVE.means("the regularizer's strength")}
TARGET = {**STRENGTH, "p": Interval(float).means("a target mean activation")}
PROBABILITY_TARGET = {**STRENGTH, "p": UNIT_OPEN.means("a target mean activation")}  # KL's p


def make_penalty(cfg) -> Callable | None:
    """``cfg.regularizer`` as ``(outputs, ctx) -> scalar or None``; None for ``none``."""
    name, on = cfg.name, cfg.get("on", "code")
    if name == "none":
        return None
    function = REGULARIZERS.get(name)

    def penalty(outputs: dict, ctx=None):
        if on not in outputs:
            raise UsageError(f"regularizer.on={on} is not an output of this model; choose one of: "
                             f"{', '.join(outputs)}")
        return function(outputs[on], cfg, ctx)

    return penalty


__all__ = ["REGULARIZERS", "make_penalty"]

load_plugins(__name__)
