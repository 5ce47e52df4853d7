"""Optimisers by name (``train.optimizer``), each with its parameter constraints."""

from __future__ import annotations

import torch

from ..params import NON_NEGATIVE, POSITIVE, Interval
from ..registry import Registry

OPTIMIZERS: Registry = Registry("train.optimizer")
COMMON = {"lr": POSITIVE, "weight_decay": NON_NEGATIVE}


def make_optimizer(params, cfg) -> torch.optim.Optimizer:
    """The optimiser ``cfg.optimizer`` (any case) over ``params``, set from ``cfg``."""
    return OPTIMIZERS.get(str(cfg.optimizer).lower())(list(params), cfg)


@OPTIMIZERS.register("adam", COMMON)
def adam(params, cfg) -> torch.optim.Optimizer:
    # The fused kernel (CPU and CUDA) removes most of the per-step cost on small layers.
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)


# foreach, below: the same arithmetic as the per-tensor default (bit for bit) in fewer passes
# without a large temporary per step; PyTorch only picks it by itself on CUDA. On CPU it makes
# Adadelta's step on the asymmetric AE's 6.4M-weight layer 1.7x faster.
@OPTIMIZERS.register("adadelta", {**COMMON, "rho": Interval(float, 0, 1), "eps": POSITIVE})
def adadelta(params, cfg) -> torch.optim.Optimizer:
    # Keras' defaults (rho 0.95, eps 1e-7), which the part-based AE reference used;
    # PyTorch's own are rho 0.9, eps 1e-6.
    return torch.optim.Adadelta(params, lr=cfg.lr, rho=cfg.get("rho", 0.95), eps=cfg.get("eps", 1e-7),
                                weight_decay=cfg.weight_decay, foreach=True)


@OPTIMIZERS.register("sgd", {**COMMON, "momentum": NON_NEGATIVE})
def sgd(params, cfg) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.get("momentum", 0.0),
                           weight_decay=cfg.weight_decay, foreach=True)
