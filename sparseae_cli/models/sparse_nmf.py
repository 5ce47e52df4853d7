"""Non-negative matrix factorisation with sparseness constraints (Hoyer, JMLR 2004).

V (features x samples) ~ W H. Each row of H (one component across all samples: Hoyer's
"lifetime" sparseness) is kept at sparseness ``sparseness`` with unit l2 norm by
projected gradient with backtracking; W, unconstrained, follows Lee & Seung's
multiplicative update. Atoms are the columns of W. Not trained by gradient descent on
a loss: ``fit`` learns W (and H), ``encode`` solves for H with W fixed.
"""

from __future__ import annotations

import torch

from ..hoyer import l1_for_sparseness, project_sparseness
from ..params import POSITIVE_INT, Interval, Options
from . import MODELS, DataSpec
from .base import NO_CONSTRAINT, NO_REGULARIZER, Dictionary, FittedModel

TINY = 1e-9


class SparseNMF(FittedModel):
    def __init__(self, n_features: int, k: int, level: float, n_iter: int, encode_iter: int,
                 seed: int) -> None:
        super().__init__()
        self.k, self.level, self.n_iter, self.encode_iter, self.seed = k, level, n_iter, encode_iter, seed
        self.register_buffer("W", torch.zeros(n_features, k))
        self.history: list[float] = []
        self._fitted: tuple[torch.Tensor, torch.Tensor] | None = None  # (data, its codes)

    def _project_rows(self, H: torch.Tensor) -> torch.Tensor:
        l1 = l1_for_sparseness(H.shape[1], self.level)
        rows = H.shape[0]
        return project_sparseness(H, torch.full((rows,), l1, dtype=H.dtype), torch.ones(rows, dtype=H.dtype))

    @staticmethod
    def _objective_from_grams(vv: float, WtV, WtW, H) -> float:
        """0.5 ||V - W H||^2 = 0.5 (||V||^2 - 2 <W^T V, H> + <W^T W, H H^T>): for a new H this costs
        a k x k x samples product instead of features x k x samples (k = 100 << 784 features)."""
        return 0.5 * (vv - 2 * float((WtV * H).sum()) + float((WtW * (H @ H.T)).sum()))

    def _update_H(self, H, step: float, vv: float, WtV, WtW) -> tuple[torch.Tensor, float]:
        """One projected-gradient step on H with Hoyer's backtracking (halve, then grow by 1.2).
        The gradient W^T (W H - V) = W^T W H - W^T V and every trial objective come from the Gram
        matrices W^T W and W^T V of the current W (and vv = ||V||^2): no product of the data's
        size per trial."""
        grad = WtW @ H - WtV
        before = self._objective_from_grams(vv, WtV, WtW, H)
        while step > 1e-200:
            candidate = self._project_rows(H - step * grad)
            if self._objective_from_grams(vv, WtV, WtW, candidate) <= before:
                return candidate, step * 1.2
            step /= 2
        return H, step

    @torch.no_grad()
    def fit(self, X: torch.Tensor) -> None:
        # float64: in float32 the projection's rounding (unit-norm rows of 10,000 samples)
        # outweighs the small steps the backtracking needs, and H stops moving.
        V = X.T.to(torch.float64)  # features x samples
        g = torch.Generator().manual_seed(self.seed)
        W = torch.randn(V.shape[0], self.k, generator=g).abs().to(V)
        H = torch.randn(self.k, V.shape[1], generator=g).abs().to(V)
        H = self._project_rows(H / torch.linalg.vector_norm(H, dim=1, keepdim=True))
        # Unit-norm rows of H over many samples are tiny: start W at the scale of V, or the
        # multiplicative updates spend most of the budget growing it.
        W = W * (V.sum() / (W @ H).sum())
        step, vv = 1.0, float((V * V).sum())
        WtV, WtW = W.T @ V, W.T @ W
        for _ in range(self.n_iter):
            H, step = self._update_H(H, step, vv, WtV, WtW)
            W = W * (V @ H.T) / (W @ (H @ H.T) + TINY)  # Lee & Seung's multiplicative update
            WtV, WtW = W.T @ V, W.T @ W  # the Grams of the new W: the next step's and the objective's
            self.history.append(self._objective_from_grams(vv, WtV, WtW, H))
        self.W.copy_(W)
        self._fitted = (X, H.T.contiguous().to(X.dtype))

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Codes: the factorisation's own H for the data it was fitted on (the report's
        protocol fits the test images); for new samples, H for fixed W by the same projected
        gradient (sparse rows)."""
        if self._fitted is not None and x.shape == self._fitted[0].shape and torch.equal(x, self._fitted[0]):
            return self._fitted[1]
        V, W = x.T.to(torch.float64), self.W.to(torch.float64)
        H = torch.linalg.lstsq(W, V).solution.clamp_min(0) + TINY
        H = self._project_rows(H / torch.linalg.vector_norm(H, dim=1, keepdim=True).clamp_min(TINY))
        step, vv, WtV, WtW = 1.0, float((V * V).sum()), W.T @ V, W.T @ W
        for _ in range(self.encode_iter):
            H, step = self._update_H(H, step, vv, WtV, WtW)
        return H.T.to(x.dtype)

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return h @ self.W.T

    def dictionary(self) -> Dictionary:
        return Dictionary(self.W.T.cpu().numpy(), None, "identity")


PARAMETERS = {
    "code_size": POSITIVE_INT,
    "sparseness": Interval(float, 0, 1, closed="neither", meaning="Hoyer's sparseness of each row of H"),
    "n_iter": POSITIVE_INT,
    "encode_iter": Interval(int, 0, None),
    "fit_on": Options(("train", "test")),
    "/regularizer.name": NO_REGULARIZER,
    "/constraint.name": NO_CONSTRAINT,
}


@MODELS.register("sparse_nmf", PARAMETERS)
def build_sparse_nmf(cfg, spec: DataSpec) -> SparseNMF:
    return SparseNMF(spec.n_features, int(cfg.code_size), float(cfg.sparseness), int(cfg.n_iter),
                     int(cfg.encode_iter), int(cfg.get("seed", 0)))
