"""Exact Euclidean projection onto the l2,1 ball {W : sum_j ||W_j||_2 <= eta}.

The projection scales each column: with y_j = ||W_j||_2 and t = proj_l1(y, eta)
(y >= 0, so t_j = max(y_j - tau, 0)), the result is W_j * t_j / y_j. This is the
proximal/projection identity for group norms (Bach et al. 2012, sec. 3.3).
"""

import torch

from . import CONSTRAINTS
from .simplex import project_l1_ball


@CONSTRAINTS.register("l21")
def project_l21(w: torch.Tensor, eta: float) -> torch.Tensor:
    w2 = w.reshape(w.shape[0], -1) if w.dim() != 2 else w
    norms = torch.linalg.vector_norm(w2, dim=0)
    radii = project_l1_ball(norms, eta)
    scale = torch.where(norms > 0, radii / norms.clamp_min(torch.finfo(w.dtype).tiny), 0.0)
    return (w2 * scale).reshape(w.shape)
