"""No constraint: the identity (the unregularised baseline)."""

import torch

from . import CONSTRAINTS


@CONSTRAINTS.register("none")
def project_none(w: torch.Tensor, eta: float) -> torch.Tensor:
    return w.clone()
