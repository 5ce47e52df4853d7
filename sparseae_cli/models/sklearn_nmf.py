"""scikit-learn's NMF as a second, non-Hoyer baseline (sparsity by L1 penalties on W and H).

``fit_data`` learns the atoms; ``encode`` is scikit-learn's ``transform`` with them fixed.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import NMF
from torch import nn

from . import MODELS, DataSpec


class SklearnNMF(nn.Module):
    def __init__(self, k: int, alpha_H: float, l1_ratio: float, max_iter: int, seed: int) -> None:
        super().__init__()
        self.nmf = NMF(n_components=k, init="nndsvda", alpha_W=0.0, alpha_H=alpha_H,
                       l1_ratio=l1_ratio, max_iter=max_iter, random_state=seed)

    def fit_data(self, X: torch.Tensor) -> None:
        self.nmf.fit(X.cpu().numpy())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.nmf.transform(x.cpu().numpy()).astype(np.float32))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return h @ torch.from_numpy(self.nmf.components_.astype(np.float32))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.encode(x)
        return {"code": h, "reconstruction": self.decode(h)}

    def dictionary(self) -> dict:
        return {"atoms": self.nmf.components_.copy(), "bias": None, "activation": "identity"}


@MODELS.register("sklearn_nmf")
def build_sklearn_nmf(cfg, spec: DataSpec) -> SklearnNMF:
    return SklearnNMF(int(cfg.code_size), float(cfg.alpha_H), float(cfg.l1_ratio), int(cfg.max_iter),
                      int(cfg.get("seed", 0)))
