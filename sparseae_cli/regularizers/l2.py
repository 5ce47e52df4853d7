"""Squared deviation of each unit's mean activation from p (Lee, Ekanadham & Ng 2008):
S = (p - t_j)^2."""

import torch

from . import REGULARIZERS, TARGET


@REGULARIZERS.register("l2", TARGET)
def l2_penalty(code: torch.Tensor, cfg, ctx=None) -> torch.Tensor:
    t = code.mean(dim=-2)
    return float(cfg.beta) * ((float(cfg.p) - t) ** 2).sum()
