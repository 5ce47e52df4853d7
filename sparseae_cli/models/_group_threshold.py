"""Group soft-thresholds: the proximal steps of the group-sparse unrolled AE's encoder.

Theodosis & Ba (ICASSP 2023), eq. (7): for a group g of the code,

    sigma_t(x_g) = (1 - t / ||x_g||_2)_+ x_g,

the proximal operator of t * ||x_g||_2 (the group lasso's). Variants, by name:

- ``group``: eq. (7), signs kept; group size 1 gives the soft threshold sign(x)(|x| - t)_+.
- ``nonneg``: the exact prox of t * ||x_g||_2 plus the indicator of x_g >= 0, i.e. eq. (7)
  applied to relu(x_g); group size 1 gives relu(x - t).
- ``authors``: the public code's one-sided operator (1 - t / ||x_g||_2)_+ relu(x_g), whose norm is
  taken on the SIGNED x_g: not a prox for groups of more than one atom (a negative entry
  lowers the threshold of its positive neighbours), equal to ``nonneg`` for group size 1.

A zero group is guarded: its norm is clamped away from 0, so the output is exactly 0 and the
gradient finite (the public code divides by zero there).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

THRESHOLDS = ("group", "nonneg", "authors")
_TINY = 1e-12  # a norm below it is a zero group


def _shrink(values: torch.Tensor, norm_of: torch.Tensor, threshold) -> torch.Tensor:
    """(1 - threshold / ||norm_of||)_+ * values, per group (last dimension)."""
    norm = torch.linalg.vector_norm(norm_of, dim=-1, keepdim=True).clamp_min(_TINY)
    return F.relu(1 - threshold / norm) * values


def group_soft_threshold(x: torch.Tensor, threshold, group_size: int, variant: str = "group") -> torch.Tensor:
    """Threshold ``x`` (..., n_groups * group_size) group by group (consecutive units form a
    group); ``threshold`` is t = lambda * step."""
    groups = x.unflatten(-1, (-1, group_size))
    if variant == "group":
        out = _shrink(groups, groups, threshold)
    elif variant == "nonneg":
        positive = F.relu(groups)
        out = _shrink(positive, positive, threshold)
    elif variant == "authors":
        out = _shrink(F.relu(groups), groups, threshold)
    else:
        raise ValueError(f"unknown group threshold '{variant}'; use one of {', '.join(THRESHOLDS)}")
    return out.flatten(-2)


def group_norms(code: torch.Tensor, group_size: int) -> torch.Tensor:
    """||x_g||_2 for every group: (..., n_groups)."""
    return torch.linalg.vector_norm(code.unflatten(-1, (-1, group_size)), dim=-1)
