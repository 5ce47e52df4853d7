"""Exact Euclidean projection onto the l1 ball, flat and batched over columns.

The projection of y is sign(y) max(|y| - tau, 0), with tau the root of the piecewise-linear,
convex, decreasing f(t) = sum_i max(m_i - t, 0) - r over the magnitudes m = |y| (Duchi et al.
2008; Condat 2016). The root is found by Newton's method on f,
    t <- t + f(t) / N(t) = (sum_{m_i > t} m_i - r) / N(t),   N(t) = #{m_i > t},
which is Michelot's iteration (Michelot 1986) from any start: f is convex, so from above tau
one step lands at or below it, and from below the steps climb monotonically. The iteration
stops when the active set {m_i > t} repeats, where t is the exact fixed point (no tolerance),
and it takes at most n steps from the worst start.

What makes it fast on CPU and GPU alike (``bench/bench_projections.py``):
- Newton's quadratic convergence from a start estimated on a sample: two or three steps;
- each step is one threshold and two sums over the data: no boolean mask or compaction
  (on CPU a comparison or ``masked_select`` costs five to twenty element-wise passes);
- on CPU, large tensors are stepped over in chunks that stay in cache, worked on in one buffer
  kept between calls (``_scratch``), so no step allocates (fresh pages, not arithmetic, are most
  of a pass over a large tensor, and on small ones the cost of the call varied twofold with the
  allocator's state).
Vectors of at most ``_SORT_BELOW`` entries take the sort-based closed form instead.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import torch

_MAX_ITERS = 10_000  # Newton ends in at most n steps; this only guards float oddities.
_SORT_BELOW = 4096  # a sort of this many entries costs less than one Newton step over them
_SAMPLE = 1024  # entries drawn to estimate a threshold: enough for two Newton steps to finish
_CHUNK = 1 << 19  # entries per step on CPU: 2 MiB of float32, held in cache between the operations


def _chunks(values: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The tensor in cache-sized pieces along dim 0 on CPU; whole elsewhere (a GPU allocator
    caches its blocks, and one launch per operation is what it wants)."""
    rows = max(1, _CHUNK // max(1, values[0].numel())) if values.dim() > 1 else _CHUNK
    if values.device.type != "cpu" or len(values) <= rows:
        return (values,)
    return values.split(rows)


_SCRATCH = threading.local()  # per thread: two calls in two threads must not share a buffer


def _scratch(like: torch.Tensor) -> torch.Tensor:
    """A work buffer shaped like ``like`` (at most a chunk). On CPU one buffer per thread and
    dtype is kept between calls: freshly allocated pages cost more than the arithmetic on them
    (the allocator hands a freed block of this size back to the system), and how often that
    happens depends on what else the process allocated. Elsewhere a plain allocation."""
    if like.device.type != "cpu":
        return torch.empty_like(like, memory_format=torch.contiguous_format)
    buffers = _SCRATCH.__dict__.setdefault("buffers", {})
    buffer = buffers.get(like.dtype)
    if buffer is None or buffer.numel() < like.numel():
        buffer = buffers[like.dtype] = torch.empty(max(like.numel(), _CHUNK), dtype=like.dtype)
    return buffer[: like.numel()].view(like.shape)


@lru_cache(maxsize=64)
def _sample_positions(n: int, device: torch.device) -> torch.Tensor:
    """``_SAMPLE`` positions in range(n) drawn with a fixed seed (the same for every call)."""
    g = torch.Generator(device=device).manual_seed(0)
    return torch.randint(n, (_SAMPLE,), generator=g, device=device)


def _sorted_threshold(magnitudes: torch.Tensor, radius: float) -> float:
    """tau by sorting (Duchi et al. 2008): the largest k with u_k > (sum_{l<=k} u_l - r) / k."""
    u = magnitudes.sort(descending=True).values
    candidates = (u.cumsum(0) - radius) / torch.arange(1, u.numel() + 1, dtype=u.dtype, device=u.device)
    last = int((u > candidates).nonzero()[-1]) if u.numel() else 0
    return float(candidates[last])


def _sample_estimate(magnitudes: torch.Tensor, radius: float) -> float:
    """An estimate of tau: the sorted threshold of ``_SAMPLE`` entries drawn with a fixed seed,
    for the radius scaled by their share. Only the number of Newton steps depends on it."""
    n = magnitudes.numel()
    sample = magnitudes[_sample_positions(n, magnitudes.device)]
    share = radius * _SAMPLE / n
    return max(_sorted_threshold(sample, share), 0.0) if float(sample.sum()) > share else 0.0


def _mass_above(magnitudes: torch.Tensor, t: float) -> tuple[float, int]:
    """(sum of the entries above t, their number), chunk by chunk, with arithmetic only."""
    mass, count = 0.0, 0
    for chunk in _chunks(magnitudes):
        kept = torch.threshold(chunk, t, 0.0, out=_scratch(chunk))  # m where m > t, else 0
        mass += float(kept.sum())
        count += int(kept.sign_().sum())  # exact: a chunk holds fewer than 2^24 entries
    return mass, count


def _newton(magnitudes: torch.Tensor, radius: float, t: float) -> float:
    """Newton's method on f from ``t`` until the active set repeats (see the module's note).

    The data are compared with t rounded to their dtype, so a step that leaves that rounding
    unchanged keeps the active set it was computed from: it ends at the fixed point without
    another pass. Counts after the first step fall strictly until one repeats the step before;
    a count met again further back can only come from rounding near tau, and ends it too.
    """
    previous, earlier = None, set()
    for _ in range(_MAX_ITERS):
        mass, count = _mass_above(magnitudes, t)
        if count == 0:  # the estimate is below the sample's largest entry, so only rounding
            return t  # in a step from below can pass every entry: t is tau to rounding
        if count == previous or count in earlier:  # t is the fixed point of its active set
            return t
        if previous is not None:
            earlier.add(previous)
        previous = count
        t, step_from = (mass - radius) / count, t
        pair = torch.tensor((t, step_from), dtype=magnitudes.dtype)
        if bool(pair[0] == pair[1]):
            return t
    return t


def l1_threshold(magnitudes: torch.Tensor, radius: float) -> float:
    """Soft threshold tau >= 0 with sum(max(|y| - tau, 0)) == radius.

    ``magnitudes`` is a flat tensor of |y|, assumed outside the ball.
    """
    if magnitudes.numel() <= _SORT_BELOW:
        return max(_sorted_threshold(magnitudes, radius), 0.0)
    return max(_newton(magnitudes, radius, _sample_estimate(magnitudes, radius)), 0.0)


def project_l1_ball(y: torch.Tensor, radius: float) -> torch.Tensor:
    """Projection of ``y`` (any shape, taken as one vector) onto {x : ||x||_1 <= radius}."""
    if radius < 0:
        raise ValueError(f"l1-ball radius must be >= 0, got {radius}")
    out = y.abs()  # the magnitudes, then the result in place: one allocation
    flat = out.reshape(-1)
    if float(flat.sum()) <= radius:
        return y.clone()
    if radius == 0:
        return torch.zeros_like(y)
    tau = l1_threshold(flat, radius)
    # sign(y) max(|y| - tau, 0) over the magnitudes, piece by piece while each is in cache
    for piece, values in zip(_chunks(flat), _chunks(y.reshape(-1))):
        torch.ops.aten.softshrink.out(values, tau, out=piece)
    return out


def column_l1_thresholds(magnitudes: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """Per-column thresholds tau_j so that column j of max(|Y| - tau, 0) has l1 norm radii[j].

    ``magnitudes`` is (n, m) non-negative; columns already inside their ball get tau_j = 0.
    Newton's method runs on all the columns at once, from the estimates of
    ``_column_estimates``; a column settles when its active set repeats, so each is exact.
    A settled column keeps its t, so its count repeats at every later step and it stays
    settled without any bookkeeping; settled columns are dropped from the block (a gather,
    which costs about a step) once they are half of it.
    """
    radii = radii.to(magnitudes.dtype)
    norms = magnitudes.sum(dim=0)
    tau = torch.zeros_like(norms)
    removed = (radii <= 0) & (norms > 0)
    if bool(removed.any()):  # a zero radius needs no search: tau is the column's largest entry
        tau = torch.where(removed, magnitudes.amax(dim=0), tau)
    active = (norms > radii) & (radii > 0)
    if not bool(active.any()):
        return tau
    start = torch.where(active, _column_estimates(magnitudes, norms, radii, active), torch.inf)
    return torch.where(active, _column_newton(magnitudes, radii, start), tau).clamp_min(0)


def _column_newton(block: torch.Tensor, goals: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Newton's method column by column from ``t`` (inf: a column to skip) to the fixed points.

    A column is settled when its count repeats the last step's (t is the fixed point of its
    active set), when the step cannot change t in its dtype (the same), when none is left after
    a step from below (rounding overshot tau), or when the count repeats the one before the last
    (rounding near tau; from the third step on, as the estimate may sit above tau). Its t is
    then held, so its count repeats at every later step and it stays settled.
    Skipped columns count 0 from the start, which their first ``last`` repeats.
    """
    found = t.clone()  # every column's t, written back from the block when it shrinks
    columns = torch.arange(len(t), device=t.device)
    last = torch.where(torch.isinf(t), 0.0, -1.0).to(t.dtype)
    before = torch.full_like(t, -1)
    for step in range(_MAX_ITERS):
        excess, count = _column_excess(block, t)
        if step == 0:  # an estimate above every entry of its column: restart from t = 0
            restart = (count == 0) & (last < 0)
            if bool(restart.any()):
                t = torch.where(restart, 0.0, t)
                excess, count = _column_excess(block, t)
        stepped = t + (excess - goals) / count  # Newton's step, column by column
        settled = (count == last) | (stepped == t)
        if step > 0:
            settled |= (count == before) | (count == 0)
        t = torch.where(settled, t, stepped)
        open_columns = len(t) - int(settled.sum())
        if open_columns == 0:
            break
        before, last = (last if step >= 2 else before), count
        if 2 * open_columns < len(t):  # drop the settled columns from the block
            found[columns] = t
            keep = (~settled).nonzero().squeeze(1)
            block, columns, goals, t = block[:, keep], columns[keep], goals[keep], t[keep]
            last, before = last[keep], before[keep]
    found[columns] = t
    return found


def _column_excess(block: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per column: sum_i max(m_ij - t_j, 0) and #{i : m_ij > t_j}, by row chunks."""
    excess = count = None
    for rows in _chunks(block):
        kept = torch.sub(rows, t, out=_scratch(rows)).clamp_min_(0)
        piece = kept.sum(dim=0), kept.sign_().sum(dim=0)
        excess, count = piece if excess is None else (excess + piece[0], count + piece[1])
    return excess, count


def _column_estimates(magnitudes: torch.Tensor, norms: torch.Tensor, radii: torch.Tensor,
                      active: torch.Tensor) -> torch.Tensor:
    """Per-column starts for Newton, taking the active columns as scalings of one distribution.

    With m_ij = mu_j z_ij (mu_j the column mean) and H(s) = mean(max(z - s, 0)) estimated on a
    pooled sample of the z's, column j needs H(tau_j / mu_j) = radii_j / norms_j. H is
    piecewise linear between the sorted sample points, so it is inverted by interpolation.
    Columns unlike the others only take more steps.
    """
    n = magnitudes.shape[0]
    tiny = torch.finfo(norms.dtype).tiny
    means = (norms / n).clamp_min(tiny)
    rows, shares = _sample_cells(n, magnitudes.device)
    chosen = active.nonzero().squeeze(1)  # not the removed or inside columns: often most, once pruned
    cols = chosen[(shares * len(chosen)).long()]
    z = (magnitudes[rows, cols] / means[cols]).sort(descending=True).values
    # H at the sample points, ascending as s falls: H(z_k) = mean over l < k of (z_l - z_k)
    k = torch.arange(_SAMPLE, dtype=z.dtype, device=z.device)
    h = (z.cumsum(0) - z - k * z) / _SAMPLE
    target = (radii / norms.clamp_min(tiny)).clamp(0, 1)
    i = torch.searchsorted(h, target).clamp(1, _SAMPLE - 1)
    weight = ((target - h[i - 1]) / (h[i] - h[i - 1]).clamp_min(tiny)).clamp(0, 1)
    return torch.lerp(z[i - 1], z[i], weight) * means


@lru_cache(maxsize=64)
def _sample_cells(n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``_SAMPLE`` rows in range(n) and as many shares in [0, 1) (which of the active columns),
    drawn with a fixed seed."""
    g = torch.Generator(device=device).manual_seed(0)
    shares = torch.rand(_SAMPLE, generator=g, dtype=torch.float64, device=device)
    return torch.randint(n, (_SAMPLE,), generator=g, device=device), shares


def project_columns_l1(y: torch.Tensor, radii: torch.Tensor,
                       magnitudes: torch.Tensor | None = None) -> torch.Tensor:
    """Project each column y[:, j] onto the l1 ball of radius radii[j] (exact, batched).

    ``magnitudes`` (|y|, optional) is consumed: the result is written over it.
    """
    magnitudes = y.abs() if magnitudes is None else magnitudes
    tau = column_l1_thresholds(magnitudes, radii)
    # Zero radius means the column is removed, whatever rounding left behind.
    kept = (radii > 0).to(y.dtype)
    for piece, values in zip(_chunks(magnitudes), _chunks(y)):
        piece.sub_(tau).clamp_min_(0).copysign_(values).mul_(kept)
    return magnitudes


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
