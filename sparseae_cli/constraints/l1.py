"""Euclidean projection onto the l1 ball {W : sum_ij |W_ij| <= eta} (whole matrix)."""

import torch

from . import CONSTRAINTS
from .simplex import project_l1_ball


@CONSTRAINTS.register("l1")
def project_l1(w: torch.Tensor, eta: float) -> torch.Tensor:
    return project_l1_ball(w, eta)
