"""Many linear SVMs at once: LinearSVC(dual=False)'s problem, batched in torch.

Each problem b is an L2-regularised squared-hinge SVM on a subset of the rows of one design
matrix X (n x d, a constant 1 appended as liblinear's regularised intercept):

    min_w  0.5 |w|^2 + C_b * sum_i m_bi * max(0, 1 - y_bi * w.x_i)^2

liblinear solves these one by one; the SVM protocol of the part-based AE report needs
hundreds of them (C values x classes x splits) on the same 10,000 codes, which took 90 s.
Here they share every matrix product: Newton's method with the generalised Hessian
I + 2 C_b X^T diag(active) X, solved by Cholesky, and a backtracking line search. The
objective is piecewise quadratic, so once the active set settles a full step lands on the
minimiser (Keerthi & DeCoste 2005).
"""

from __future__ import annotations

import numpy as np
import torch

DTYPE = torch.float64  # C up to 1e3 on unscaled codes: the Hessian is too ill-conditioned for float32


def with_intercept(x) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(x), dtype=DTYPE)
    return torch.cat([x, torch.ones(len(x), 1, dtype=DTYPE)], dim=1)


def _objective(w, X, y, mask, C) -> torch.Tensor:
    slack = torch.relu(1 - y * (w @ X.T)) * mask
    return 0.5 * (w * w).sum(1) + C * (slack * slack).sum(1)


def _gram(X, weights, chunk: int = 16) -> torch.Tensor:
    """X^T diag(weights_b) X for every row b of weights, in chunks to bound memory."""
    return torch.cat([(weights[s:s + chunk, :, None] * X).transpose(1, 2) @ X
                      for s in range(0, len(weights), chunk)])


class ActiveGrams:
    """X^T diag(a_b) X for many problems b, kept up to date as their active sets a_b change.

    Newton's active sets settle within a few steps, so each Gram is rebuilt from whichever of
    three bases is fewest rows away: its previous value (add the rows that became active,
    remove those that left), the Gram of its whole mask (remove the masked rows that are
    inactive; the problems of one split share it: a handful are computed at all), or zero (add
    the active rows). A step then costs (rows changed) x d^2 per problem instead of n x d^2."""

    def __init__(self, X: torch.Tensor, mask: torch.Tensor, chunk: int = 16) -> None:
        self.X, self.mask, self.chunk = X, mask, chunk
        masks, self.mask_of = torch.unique(mask, dim=0, return_inverse=True)
        self.mask_grams = _gram(X, masks)
        self.grams = self.mask_grams[self.mask_of]
        self.active = mask.clone()

    def update(self, problems: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        """The Grams of ``problems`` under their new active sets ``active`` (len(problems), n)."""
        for start in range(0, len(problems), self.chunk):
            ids, now = problems[start:start + self.chunk], active[start:start + self.chunk]
            bases = [(self.grams[ids], now - self.active[ids]),  # from the previous active set
                     (self.mask_grams[self.mask_of[ids]], now - self.mask[ids]),  # from the whole mask
                     (torch.zeros_like(self.grams[ids]), now)]  # from nothing
            base, signs = min(bases, key=lambda b: int((b[1] != 0).sum(1).max()))
            rows = signs.abs().topk(int((signs != 0).sum(1).max()), dim=1).indices  # padded with 0-sign rows
            picked = self.X[rows]
            self.grams[ids] = base + (signs.gather(1, rows)[:, :, None] * picked).transpose(1, 2) @ picked
            self.active[ids] = now
        return self.grams[problems]


def solve(X, y, mask, C, max_iter: int = 100, tol: float = 1e-10) -> torch.Tensor:
    """Weights (B, d) of B problems: X (n, d), y (B, n) in {-1, +1}, mask (B, n) in {0, 1},
    C (B,). Stops when |grad| <= tol * |grad at w = 0| for every problem."""
    n_problems, d = len(y), X.shape[1]
    w = torch.zeros(n_problems, d, dtype=DTYPE)
    eye = torch.eye(d, dtype=DTYPE)
    todo = torch.arange(n_problems)
    grams = ActiveGrams(X, mask)
    g0 = None
    for _ in range(max_iter):
        wt, yt, mt, Ct = w[todo], y[todo], mask[todo], C[todo]
        margin = (1 - yt * (wt @ X.T)) * mt
        active = (margin > 0).to(DTYPE)
        grad = wt - 2 * Ct[:, None] * ((active * margin * yt) @ X)
        norm = grad.norm(dim=1)
        if g0 is None:
            g0 = norm.clone()
        unfinished = norm > tol * g0[todo]
        if not unfinished.any():
            break
        keep = unfinished.nonzero().squeeze(1)
        todo, wt, yt, mt, Ct, grad, active = (t[keep] for t in (todo, wt, yt, mt, Ct, grad, active))
        hessian = eye + 2 * Ct[:, None, None] * grams.update(todo, active)
        step = -torch.cholesky_solve(grad[:, :, None], torch.linalg.cholesky(hessian)).squeeze(2)
        f0 = _objective(wt, X, yt, mt, Ct)
        slope = (grad * step).sum(1)
        t = torch.ones(len(todo), dtype=DTYPE)
        for _ in range(30):  # Armijo backtracking, per problem
            bad = _objective(wt + t[:, None] * step, X, yt, mt, Ct) > f0 + 1e-4 * t * slope
            if not bad.any():
                break
            t = torch.where(bad, t / 2, t)
        w[todo] = wt + t[:, None] * step
    return w


def one_vs_rest_targets(labels: np.ndarray, classes: np.ndarray) -> torch.Tensor:
    """(K, n) targets: +1 for the class, -1 for the rest (LinearSVC's multi-class scheme)."""
    return torch.as_tensor(np.where(labels[None, :] == classes[:, None], 1.0, -1.0), dtype=DTYPE)


def accuracy(w: torch.Tensor, X: torch.Tensor, labels: np.ndarray, classes: np.ndarray) -> float:
    """Accuracy of one-vs-rest weights (K, d) on rows X: the class with the largest score wins."""
    predicted = classes[(X @ w.T).argmax(1).numpy()]
    return float(np.mean(predicted == labels))
