"""Hoyer's (2004) sparseness measure and the projection onto a sparseness level.

sparseness(x) = (sqrt(n) - ||x||_1 / ||x||_2) / (sqrt(n) - 1), 0 for a constant vector
and 1 for a one-hot. ``project_sparseness`` finds, for each row s, the closest v with
sum|v| = l1, sum v^2 = l2sq (and v >= 0). That point is a soft-shrinkage of s, scaled:
v = sqrt(l2sq) (s - theta)_+ / ||(s - theta)_+||, with theta the one value that gives
(s - theta)_+ the l1/l2 ratio l1 / sqrt(l2sq) (Thom & Palm, "Efficient dictionary learning with
sparseness-enforcing projections", IJCV 2015). Sorting each row gives theta in closed form for
every support size at once; ``project_sparseness_hoyer`` is Hoyer's own iteration (JMLR 5,
2004, fig. 2), which takes up to n passes over the rows, kept for the rows the closed form
cannot settle in floating point and as the tests' reference.
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
    """Rows of ``s`` (m x n) projected to l1 norm ``l1`` and squared l2 norm ``l2sq`` (m,), by the
    closed form: for the k largest entries (sums S1, S2 of them and of their squares) and
    rho = l1 / sqrt(l2sq), the threshold is theta_k = (S1 - rho sqrt((k S2 - S1^2) / (k - rho^2))) / k,
    and the support is the k with s_(k+1) <= theta_k < s_(k)."""
    m, n = s.shape
    signs = None
    if not nonneg:
        signs, s = torch.sign(s), s.abs()
    l2sq = l2sq.reshape(m, 1).to(s.dtype)
    rho_sq = l1.reshape(m, 1).to(s.dtype) ** 2 / l2sq
    ordered = s.sort(dim=1, descending=True).values
    k = torch.arange(1, n + 1, dtype=s.dtype, device=s.device)
    s1, s2 = ordered.cumsum(1), (ordered * ordered).cumsum(1)
    spare = k - rho_sq  # a k-sparse vector has l1/l2 at most sqrt(k): k > rho^2
    spread = ((k * s2 - s1 * s1).clamp_min(0) / spare.clamp_min(torch.finfo(s.dtype).tiny)).sqrt()
    theta = (s1 - rho_sq.sqrt() * spread) / k
    below = torch.cat([ordered[:, 1:], torch.full((m, 1), -torch.inf, dtype=s.dtype, device=s.device)], 1)
    fits = (spare > 0) & (theta < ordered) & (theta >= below)
    chosen = theta.gather(1, fits.to(torch.uint8).argmax(1, keepdim=True))  # the first k that fits
    shrunk = (s - chosen).clamp_min(0)
    v = shrunk * (l2sq / (shrunk * shrunk).sum(1, keepdim=True)).sqrt()
    unsettled = ~fits.any(1)  # no k fits in floating point (ties at the threshold): Hoyer's iteration
    if bool(unsettled.any()):
        v[unsettled] = project_sparseness_hoyer(s[unsettled], l1.reshape(m)[unsettled], l2sq[unsettled, 0])
    return v * signs if signs is not None else v


def project_sparseness_hoyer(s: torch.Tensor, l1: torch.Tensor, l2sq: torch.Tensor,
                             nonneg: bool = True) -> torch.Tensor:
    """``project_sparseness`` by Hoyer's iteration (JMLR 2004, fig. 2), on all rows at once: each
    row stops as soon as its point is non-negative (at most n steps)."""
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
