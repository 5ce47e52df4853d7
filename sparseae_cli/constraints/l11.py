"""Bilevel l1,1 operator (Barlaud & Guyard 2021, Algorithm 1).

t = proj_l1((||W_j||_1)_j, eta), then each column W_j is projected onto the l1 ball
of its own radius t_j. Columns with t_j = 0 are removed (feature selection) and
the survivors are soft-thresholded. This is not the Euclidean projection onto the
l1,1 ball (that is ``l1``); it is the norm-then-vector operator of the paper.
"""

import torch

from . import CONSTRAINTS
from .simplex import project_columns_l1, project_l1_ball


@CONSTRAINTS.register("l11")
def project_l11_bilevel(w: torch.Tensor, eta: float) -> torch.Tensor:
    w2 = w.reshape(w.shape[0], -1) if w.dim() != 2 else w
    magnitudes = w2.abs()
    radii = project_l1_ball(magnitudes.sum(dim=0), eta)
    return project_columns_l1(w2, radii, magnitudes).reshape(w.shape)
