"""Log penalty on each unit's mean activation: S = log(1 + (p - t_j)^2)."""

import torch

from . import REGULARIZERS, TARGET


@REGULARIZERS.register("log", TARGET)
def log_penalty(code: torch.Tensor, cfg, ctx=None) -> torch.Tensor:
    t = code.mean(dim=-2)
    return float(cfg.beta) * torch.log1p((float(cfg.p) - t) ** 2).sum()
