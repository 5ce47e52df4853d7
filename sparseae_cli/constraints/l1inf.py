"""Bilevel l1,inf operator (Barlaud, Perez & Marmorat, arXiv 2407.16293).

v_j = max_i |W_ij|, t = proj_l1(v, eta), then every entry is clipped to its
column's radius: W_ij <- sign(W_ij) min(|W_ij|, t_j). Linear time apart from
the small l1 projection of the m column maxima.
"""

import torch

from . import CONSTRAINTS
from .simplex import project_l1_ball


@CONSTRAINTS.register("l1inf")
def project_l1inf_bilevel(w: torch.Tensor, eta: float) -> torch.Tensor:
    w2 = w.reshape(w.shape[0], -1) if w.dim() != 2 else w
    radii = project_l1_ball(w2.abs().amax(dim=0), eta)
    return torch.clamp(w2, min=-radii, max=radii).reshape(w.shape)
