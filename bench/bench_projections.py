"""Projection speed: median time, ratio to one pass (W.abs().sum()), ratio to a per-column loop.

Run with ``make bench``. Ratios measured in one run are what to compare; absolute
seconds on a shared 2-core machine are noise.
"""

from __future__ import annotations

import statistics
import time

import torch

from sparseae_cli.constraints import CONSTRAINTS
from sparseae_cli.constraints.simplex import project_l1_ball

SHAPES = [(96, 2944), (2944, 96), (1024, 4096), (4096, 4096)]  # the Ohlson layer both ways, then large
NAMES = ["l1", "l11", "l21", "l1inf"]


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def column_loop(name: str, w: torch.Tensor, eta: float) -> torch.Tensor:
    """The straightforward baseline: the column-wise steps written as a Python loop."""
    if name == "l1":
        flat = w.reshape(-1)
        u, _ = torch.sort(flat.abs(), descending=True)  # sort-based (Duchi et al. 2008)
        css = torch.cumsum(u, 0)
        k = torch.arange(1, u.numel() + 1, dtype=u.dtype)
        tau = torch.clamp(((css - eta) / k).max(), min=0)
        return torch.sign(w) * (w.abs() - tau).clamp_min(0)
    out = torch.empty_like(w)
    if name == "l11":
        radii = project_l1_ball(w.abs().sum(0), eta)
        for j in range(w.shape[1]):
            out[:, j] = project_l1_ball(w[:, j], float(radii[j]))
    elif name == "l21":
        norms = torch.linalg.vector_norm(w, dim=0)
        radii = project_l1_ball(norms, eta)
        for j in range(w.shape[1]):
            out[:, j] = w[:, j] * (radii[j] / norms[j] if norms[j] > 0 else 0)
    elif name == "l1inf":
        radii = project_l1_ball(w.abs().amax(0), eta)
        for j in range(w.shape[1]):
            out[:, j] = w[:, j].clamp(-radii[j], radii[j])
    return out


def main() -> None:
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"{'shape':>11} {'proj':>6} {'median ms':>10} {'x one pass':>11} {'loop/ours':>10}")
    for shape in SHAPES:
        w = torch.randn(*shape, dtype=torch.float32)
        # A radius that makes every operator do real work (about 10% of the mass survives).
        eta_of = {
            "l1": 0.1 * float(w.abs().sum()),
            "l11": 0.1 * float(w.abs().sum()),
            "l21": 0.1 * float(torch.linalg.vector_norm(w, dim=0).sum()),
            "l1inf": 0.1 * float(w.abs().amax(0).sum()),
        }
        repeats = 21 if shape[0] * shape[1] < 2e6 else 7
        one_pass = median_seconds(lambda w=w: w.abs().sum(), repeats)
        for name in NAMES:
            project = CONSTRAINTS.get(name)
            eta = eta_of[name]
            ours = median_seconds(lambda f=project, w=w, e=eta: f(w, e), repeats)
            loop = median_seconds(lambda n=name, w=w, e=eta: column_loop(n, w, e), 3)
            print(
                f"{shape[0]:>5}x{shape[1]:<5} {name:>6} {ours * 1e3:>10.2f} "
                f"{ours / one_pass:>11.1f} {loop / ours:>10.1f}"
            )


if __name__ == "__main__":
    main()
