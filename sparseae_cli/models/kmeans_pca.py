"""k-means on principal components (scikit-learn): the simplest clustering single-cell users
compare SAUCIE with. ``n_clusters: null`` takes the dataset's number of labelled classes."""

from __future__ import annotations

import numpy as np
import torch

from ..errors import DataError
from ..params import POSITIVE_INT, Optional
from . import MODELS, DataSpec
from ._pca_base import SEED, PCAModel, repeat_seed
from .base import NO_CONSTRAINT, NO_REGULARIZER

PARAMETERS = {"n_components": POSITIVE_INT, "n_clusters": Optional(POSITIVE_INT), "n_init": POSITIVE_INT,
              "seed": SEED, "/regularizer.name": NO_REGULARIZER, "/constraint.name": NO_CONSTRAINT}


class KMeansPCA(PCAModel):
    def __init__(self, n_components: int, n_clusters: int, n_init: int, seed: int) -> None:
        from sklearn.cluster import KMeans  # lazy (registry.py)

        super().__init__(n_components, seed)
        self.kmeans = KMeans(n_clusters, n_init=n_init, random_state=seed)

    def fit(self, X: torch.Tensor) -> None:
        self.kmeans.fit(self.fit_pca(X))

    def clusters(self, x: torch.Tensor) -> np.ndarray:
        return self.kmeans.predict(self.encode(x).numpy()).astype(np.int64)


@MODELS.register("kmeans_pca", PARAMETERS)
def build_kmeans_pca(cfg, spec: DataSpec) -> KMeansPCA:
    n_clusters = cfg.get("n_clusters")
    if n_clusters is None and spec.n_classes < 2:
        raise DataError("model=kmeans_pca on unlabelled data needs model.n_clusters=K")
    return KMeansPCA(int(cfg.n_components), int(n_clusters or spec.n_classes), int(cfg.n_init),
                     repeat_seed(cfg))
