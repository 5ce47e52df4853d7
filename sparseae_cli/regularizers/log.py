"""Log penalty on each unit's mean activation: S = log(1 + (p - t_j)^2)."""

import torch

from . import REGULARIZERS, TARGET, Penalized


@REGULARIZERS.register("log", TARGET)
def log_penalty(term: Penalized, cfg) -> torch.Tensor:
    t = term.unit_means()
    return float(cfg.beta) * torch.log1p((float(cfg.p) - t) ** 2).sum()
