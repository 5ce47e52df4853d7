"""Smoothed absolute deviation of each unit's mean activation from p: S = sqrt((p - t_j)^2 + eps)."""

import torch

from . import REGULARIZERS, TARGET


@REGULARIZERS.register("eps_l1", TARGET)
def eps_l1_penalty(code: torch.Tensor, cfg, ctx=None) -> torch.Tensor:
    t = code.mean(dim=-2)
    return float(cfg.beta) * torch.sqrt((float(cfg.p) - t) ** 2 + float(cfg.eps)).sum()
