"""L1 on the codes: beta * mean_i ||h_i||_1 (p is not used)."""

import torch

from . import REGULARIZERS, STRENGTH


@REGULARIZERS.register("l1", STRENGTH)
def l1_penalty(code: torch.Tensor, cfg, ctx=None) -> torch.Tensor:
    return float(cfg.beta) * code.abs().sum(dim=-1).mean(dim=-1).sum()
