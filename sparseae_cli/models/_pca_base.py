"""What the single-cell baselines share: a PCA fitted on the data (scikit-learn) is their code,
and its inverse their reconstruction (so their MSE is PCA's at that many components)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ..params import Interval, Optional
from .base import FittedModel

if TYPE_CHECKING:
    from sklearn.decomposition import PCA

SEED = Optional(Interval(int, 0, 2**32 - 1, meaning="null: each repeat's own seed"))


def repeat_seed(cfg) -> int:
    """``model.seed``, or when null the seed torch was given for this repeat (the runner seeds
    torch with the split's seed before building a model), so each repeat draws its own."""
    seed = cfg.get("seed")
    return int(seed) if seed is not None else torch.initial_seed() % 2**32


class PCAModel(FittedModel):
    def __init__(self, n_components: int, seed: int) -> None:
        super().__init__()
        self.n_components, self.seed = n_components, seed
        self.pca: PCA | None = None

    def fit_pca(self, X: torch.Tensor) -> np.ndarray:
        """Fit the PCA (at most min(n, d) components) and return the coordinates of ``X``."""
        from sklearn.decomposition import PCA  # lazy (registry.py)

        data = X.cpu().numpy()
        self.pca = PCA(min(self.n_components, *data.shape), random_state=self.seed)
        return self.pca.fit_transform(data)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.pca.transform(x.cpu().numpy()).astype(np.float32))

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.pca.inverse_transform(code.cpu().numpy()).astype(np.float32))
