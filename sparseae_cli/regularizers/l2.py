"""Squared deviation of each unit's mean activation from p (Lee, Ekanadham & Ng 2008):
S = (p - t_j)^2."""

import torch

from . import REGULARIZERS, TARGET, Penalized


@REGULARIZERS.register("l2", TARGET)
def l2_penalty(term: Penalized, cfg) -> torch.Tensor:
    t = term.unit_means()
    return float(cfg.beta) * ((float(cfg.p) - t) ** 2).sum()
