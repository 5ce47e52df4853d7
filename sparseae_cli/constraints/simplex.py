"""Exact Euclidean projection onto the l1 ball, flat and batched over columns.

Both use Michelot's fixed-point iteration (Michelot 1986; Condat 2016, Alg. 2):
    tau <- (sum_{|y_i| > tau} |y_i| - radius) / #{|y_i| > tau},
which increases monotonically to the exact threshold and stops when the active
set no longer changes, so the result is exact (no tolerance), and each step is a
vectorised pass instead of an O(n log n) sort.
"""

from __future__ import annotations

import torch

_MAX_ITERS = 10_000  # Michelot terminates in at most n steps; this only guards float oddities.
_BLOCK_ELEMENTS = 1 << 20  # about 4 MiB of float32 per block: stays in cache between passes


_SAMPLE = 1 << 14  # elements drawn to estimate the threshold of a large vector


def _sampled_start(magnitudes: torch.Tensor, radius: float) -> torch.Tensor | None:
    """A threshold t <= tau from a sample, or None. The sample's own threshold for the radius
    scaled by its share of the elements estimates tau; one pass over all elements checks that
    sum(max(|y| - t, 0)) >= radius, i.e. that t is below tau (the sum falls as t rises), the
    condition for Michelot's iteration to start from t and still end exactly at tau."""
    n = magnitudes.numel()
    if n <= 4 * _SAMPLE:
        return None
    g = torch.Generator(device=magnitudes.device).manual_seed(0)
    sample = magnitudes[torch.randint(n, (_SAMPLE,), generator=g, device=magnitudes.device)]
    share = radius * _SAMPLE / n
    if sample.sum(dtype=torch.float64) <= share:
        return None
    start = _michelot(sample, share, (sample.sum(dtype=torch.float64) - share) / _SAMPLE) * 0.9  # margin
    above = (magnitudes - start.to(magnitudes.dtype)).clamp_min_(0).sum(dtype=torch.float64)
    return start if above >= radius else None


def l1_threshold(magnitudes: torch.Tensor, radius: float) -> torch.Tensor:
    """Soft threshold tau >= 0 with sum(max(|y| - tau, 0)) == radius (0-dim tensor).

    ``magnitudes`` is a flat tensor of |y|, assumed outside the ball. A large vector starts
    from a sampled lower bound (``_sampled_start``): its first pass keeps only the elements near
    the threshold, where the plain start keeps most of them and needs many passes.
    """
    start = _sampled_start(magnitudes, radius)
    if start is None:
        start = (magnitudes.sum(dtype=torch.float64) - radius) / magnitudes.numel()
    return _michelot(magnitudes, radius, start).clamp_min(0).to(magnitudes.dtype)


def _michelot(magnitudes: torch.Tensor, radius: float, tau: torch.Tensor) -> torch.Tensor:
    """Michelot's iteration from ``tau`` <= the threshold (float64, unclamped)."""
    active = magnitudes
    for _ in range(_MAX_ITERS):
        active = active[active > tau]
        new_tau = (active.sum(dtype=torch.float64) - radius) / max(active.numel(), 1)
        if active.numel() == 0 or new_tau <= tau:
            break
        tau = new_tau
    return tau


def project_l1_ball(y: torch.Tensor, radius: float) -> torch.Tensor:
    """Projection of ``y`` (any shape, taken as one vector) onto {x : ||x||_1 <= radius}."""
    if radius < 0:
        raise ValueError(f"l1-ball radius must be >= 0, got {radius}")
    magnitudes = y.abs().reshape(-1)
    if magnitudes.sum(dtype=torch.float64) <= radius:
        return y.clone()
    if radius == 0:
        return torch.zeros_like(y)
    tau = l1_threshold(magnitudes, radius)
    # sign(y) max(|y| - tau, 0), written in place over one temporary: the fewer passes the better
    return (magnitudes - tau).clamp_min_(0).reshape(y.shape).copysign_(y)


def column_l1_thresholds(magnitudes: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """Per-column thresholds tau_j so that column j of max(|Y| - tau, 0) has l1 norm radii[j].

    ``magnitudes`` is (n, m) non-negative; columns already inside their ball get tau_j = 0.
    Michelot's iteration runs on blocks of columns small enough to stay in cache
    (the loop is over blocks, not columns), all columns of a block at once.
    """
    n, m = magnitudes.shape
    radii = radii.to(magnitudes.dtype)
    width = max(1, _BLOCK_ELEMENTS // max(n, 1))
    blocks = [
        _block_thresholds(magnitudes[:, start : start + width], radii[start : start + width])
        for start in range(0, m, width)
    ]
    return torch.cat(blocks) if blocks else radii.clone()


def _block_thresholds(block: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    n = block.shape[0]
    norms = block.sum(dim=0)
    outside = norms > radii
    tau = torch.where(outside, (norms - radii) / n, 0.0)
    count = torch.full_like(tau, n, dtype=torch.int64)
    excess = torch.empty_like(block)
    for _ in range(_MAX_ITERS):
        torch.sub(block, tau, out=excess).clamp_min_(0)
        new_count = torch.count_nonzero(excess, dim=0)
        # Newton step on f(tau) = sum max(m - tau, 0) - r, i.e. Michelot's update.
        step = (excess.sum(dim=0) - radii) / new_count.clamp_min(1)
        tau = torch.where(outside, tau + step, 0.0)
        # Same active set as the previous step: tau is the exact fixed point.
        if torch.equal(new_count, count):
            break
        count = new_count
    return tau.clamp_min(0)


def project_columns_l1(y: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """Project each column y[:, j] onto the l1 ball of radius radii[j] (exact, batched)."""
    magnitudes = y.abs()
    tau = column_l1_thresholds(magnitudes, radii)
    out = torch.sign(y) * (magnitudes - tau).clamp_min(0)
    # Zero radius means the column is removed, whatever rounding left behind.
    return out * (radii > 0).to(y.dtype)


def project_rows_to_simplex(values: torch.Tensor) -> torch.Tensor:
    """Euclidean projection of every row of ``values`` (..., k) onto the probability simplex
    {b : b >= 0, sum b = 1}: max(v - tau, 0) with tau from the per-column l1 thresholds above.

    The projection commutes with adding a constant to a row, so each row is first shifted to
    have its least entry 1/k: it is then positive with sum >= 1, the case the thresholds solve.
    The threshold is found without gradients; the result is differentiable in ``values`` (almost
    everywhere), as max(v - tau, 0) with the active set held.
    """
    k = values.shape[-1]
    rows = values.reshape(-1, k)
    shifted = rows - rows.min(-1, keepdim=True).values + 1.0 / k
    with torch.no_grad():
        tau = column_l1_thresholds(shifted.detach().T.contiguous(), torch.ones(len(rows), device=rows.device))
    return (shifted - tau[:, None]).clamp_min(0).reshape(values.shape)
