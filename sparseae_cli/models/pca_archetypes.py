"""A linear archetypal baseline for AAnet: PCA to k-1 components, k archetypes picked among the
cells by FurthestSum (Morup & Hansen 2012, the initialisation of PCHA archetypal analysis), codes
= barycentric coordinates in the archetypes' simplex. With k-1 components the coordinates are
exact, so its reconstruction error is PCA's; how many cells fall inside the simplex measures how
well a linear hull of k cells covers the data."""

from __future__ import annotations

import numpy as np
import torch

from ..params import Interval
from . import MODELS, DataSpec
from ._archetypes import barycentric_map, furthest_sum, to_barycentric
from ._pca_base import SEED, PCAModel, repeat_seed
from .base import NO_CONSTRAINT, NO_REGULARIZER

PARAMETERS = {"archetypes": Interval(int, 2, meaning="a simplex needs two vertices"),
              "seed": SEED, "/regularizer.name": NO_REGULARIZER, "/constraint.name": NO_CONSTRAINT}


class PCAArchetypes(PCAModel):
    def __init__(self, k: int, seed: int) -> None:
        super().__init__(k - 1, seed)
        self.k = k
        self.vertices: torch.Tensor | None = None
        self.mapping: torch.Tensor | None = None

    def fit(self, X: torch.Tensor) -> None:
        coordinates = self.fit_pca(X)
        if coordinates.shape[1] < self.k - 1:
            raise ValueError(f"{self.k} archetypes need at least {self.k} samples and {self.k - 1} features")
        vertices = coordinates[furthest_sum(coordinates, self.k)]
        self.vertices = torch.tensor(vertices, dtype=torch.float32)
        self.mapping = torch.tensor(barycentric_map(vertices), dtype=torch.float32)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return to_barycentric(super().encode(x), self.mapping)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return super().decode(code.cpu() @ self.vertices)

    def archetypes(self) -> np.ndarray:
        return self.pca.inverse_transform(self.vertices.numpy())


@MODELS.register("pca_archetypes", PARAMETERS)
def build_pca_archetypes(cfg, spec: DataSpec) -> PCAArchetypes:
    return PCAArchetypes(int(cfg.archetypes), repeat_seed(cfg))
