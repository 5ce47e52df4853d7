"""Smoothed absolute deviation of each unit's mean activation from p: S = sqrt((p - t_j)^2 + eps)."""

import torch

from . import REGULARIZERS, TARGET, Penalized


@REGULARIZERS.register("eps_l1", TARGET)
def eps_l1_penalty(term: Penalized, cfg) -> torch.Tensor:
    t = term.unit_means()
    return float(cfg.beta) * torch.sqrt((float(cfg.p) - t) ** 2 + float(cfg.eps)).sum()
