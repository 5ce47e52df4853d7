"""Hoyer's (2004) sparseness measure and his projection onto a sparseness level.

sparseness(x) = (sqrt(n) - ||x||_1 / ||x||_2) / (sqrt(n) - 1), 0 for a constant vector
and 1 for a one-hot. ``project_sparseness`` finds, for each row s, the closest v with
sum|v| = l1, sum v^2 = l2sq (and v >= 0): Hoyer, JMLR 5 (2004), fig. 2, run on all rows
at once; each row stops as soon as its point is non-negative (at most n steps).
"""

from __future__ import annotations

import math

import torch


def sparseness(x: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Hoyer sparseness of each row of ``x`` (n = number of columns)."""
    n = x.shape[-1]
    ratio = x.abs().sum(-1) / (torch.linalg.vector_norm(x, dim=-1) + eps)
    return (math.sqrt(n) - ratio) / (math.sqrt(n) - 1)


def l1_for_sparseness(n: int, level: float, l2: float = 1.0) -> float:
    """The l1 norm that gives sparseness ``level`` to a vector of l2 norm ``l2``."""
    return (math.sqrt(n) - (math.sqrt(n) - 1) * level) * l2


def project_sparseness(s: torch.Tensor, l1: torch.Tensor, l2sq: torch.Tensor,
                       nonneg: bool = True) -> torch.Tensor:
    """Rows of ``s`` (m x n) projected to l1 norm ``l1`` and squared l2 norm ``l2sq`` (m,)."""
    m, n = s.shape
    signs = None
    if not nonneg:
        signs, s = torch.sign(s), s.abs()
    l1 = l1.reshape(m, 1).to(s.dtype)
    l2sq = l2sq.reshape(m).to(s.dtype)
    v = s + (l1 - s.sum(1, keepdim=True)) / n
    zero = torch.zeros_like(s, dtype=torch.bool)
    active = torch.ones(m, dtype=torch.bool, device=s.device)
    for _ in range(n + 1):
        rows = active.nonzero().squeeze(1)
        vz, zz = v[rows], zero[rows]
        free = (~zz).sum(1, keepdim=True).clamp_min(1)
        midpoint = torch.where(zz, 0.0, l1[rows] / free)
        w = vz - midpoint
        a = (w * w).sum(1)
        b = 2 * (w * vz).sum(1)
        c = (vz * vz).sum(1) - l2sq[rows]
        root = torch.sqrt((b * b - 4 * a * c).clamp_min(0))
        alpha = torch.where(a > 0, (-b + root) / (2 * a.clamp_min(1e-30)), 0.0)
        vz = vz + alpha[:, None] * w
        finished = (vz >= 0).all(1)
        # Rows with negative entries: zero them, shift the rest back onto the l1 plane.
        zz = zz | (vz <= 0)
        shifted = torch.where(zz, 0.0, vz)
        free = (~zz).sum(1, keepdim=True).clamp_min(1)
        shifted = torch.where(zz, 0.0, shifted + (l1[rows] - shifted.sum(1, keepdim=True)) / free)
        v[rows] = torch.where(finished[:, None], vz, shifted)
        zero[rows] = torch.where(finished[:, None], zero[rows], zz)
        active[rows[finished]] = False
        if not bool(active.any()):
            break
    return v * signs if signs is not None else v
