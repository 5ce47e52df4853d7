"""scikit-learn's NMF as a second, non-Hoyer baseline (sparsity by L1 penalties on W and H).

``fit`` learns the atoms; ``encode`` is scikit-learn's ``transform`` with them fixed.
"""

from __future__ import annotations

import numpy as np
import torch

from ..params import NON_NEGATIVE, POSITIVE_INT, Interval, Options
from . import MODELS, DataSpec
from .base import NO_CONSTRAINT, NO_REGULARIZER, Dictionary, FittedModel


class SklearnNMF(FittedModel):
    def __init__(self, k: int, alpha_H: float, l1_ratio: float, max_iter: int, seed: int) -> None:
        from sklearn.decomposition import NMF  # lazy (registry.py)

        super().__init__()
        self.nmf = NMF(n_components=k, init="nndsvda", alpha_W=0.0, alpha_H=alpha_H,
                       l1_ratio=l1_ratio, max_iter=max_iter, random_state=seed)

    def fit(self, X: torch.Tensor) -> None:
        self.nmf.fit(X.cpu().numpy())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.nmf.transform(x.cpu().numpy()).astype(np.float32))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return h @ torch.from_numpy(self.nmf.components_.astype(np.float32))

    def dictionary(self) -> Dictionary:
        return Dictionary(self.nmf.components_.copy(), None, "identity")


PARAMETERS = {
    "code_size": POSITIVE_INT,
    "alpha_H": NON_NEGATIVE,
    "l1_ratio": Interval(float, 0, 1),
    "max_iter": POSITIVE_INT,
    "fit_on": Options(("train", "test")),
    "/regularizer.name": NO_REGULARIZER,
    "/constraint.name": NO_CONSTRAINT,
}


@MODELS.register("sklearn_nmf", PARAMETERS)
def build_sklearn_nmf(cfg, spec: DataSpec) -> SklearnNMF:
    return SklearnNMF(int(cfg.code_size), float(cfg.alpha_H), float(cfg.l1_ratio), int(cfg.max_iter),
                      int(cfg.get("seed", 0)))
