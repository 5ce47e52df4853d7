"""Non-negativity: the projection onto the non-negative orthant (eta is not used)."""

import torch

from . import CONSTRAINTS


@CONSTRAINTS.register("nonneg")
def project_nonneg(w: torch.Tensor, eta: float) -> torch.Tensor:
    return w.clamp_min(0)
