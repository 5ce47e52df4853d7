"""Leiden community detection on a k-nearest-neighbour graph of principal components (Traag,
Waltman & van Eck, Sci. Rep. 2019): scanpy's default clustering, the one single-cell users
compare SAUCIE with. The graph is scikit-learn's ``kneighbors_graph`` (connectivities, made
symmetric), partitioned by ``leidenalg`` with the RB-configuration quality at ``resolution``
(scanpy's defaults: 50 components, 15 neighbours, resolution 1).

Leiden is transductive: it labels the cells it was fitted on. Other cells take the majority
label of their ``n_neighbors`` nearest fitted cells.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.neighbors import KNeighborsClassifier, kneighbors_graph

from ..errors import DataError
from ..params import POSITIVE, POSITIVE_INT
from . import MODELS, DataSpec
from ._pca_base import SEED, PCAModel, repeat_seed
from .base import NO_CONSTRAINT, NO_REGULARIZER

PARAMETERS = {"n_components": POSITIVE_INT, "n_neighbors": POSITIVE_INT, "resolution": POSITIVE,
              "seed": SEED, "/regularizer.name": NO_REGULARIZER, "/constraint.name": NO_CONSTRAINT}


def leiden_partition(coordinates: np.ndarray, n_neighbors: int, resolution: float, seed: int) -> np.ndarray:
    """Leiden communities (numbered by decreasing size, leidenalg's order) of the symmetric kNN graph."""
    try:
        import igraph
        import leidenalg
    except ImportError:
        raise DataError("model=leiden needs leidenalg and igraph: pip install 'sparseae[singlecell]'") from None
    graph = kneighbors_graph(coordinates, min(n_neighbors, len(coordinates) - 1), mode="connectivity",
                             n_jobs=-1)
    graph = graph.maximum(graph.T).tocoo()
    upper = graph.row < graph.col  # each undirected edge once
    edges = np.column_stack([graph.row[upper], graph.col[upper]])
    network = igraph.Graph(n=len(coordinates), edges=edges.tolist(), directed=False)
    partition = leidenalg.find_partition(network, leidenalg.RBConfigurationVertexPartition,
                                         resolution_parameter=resolution, seed=seed)
    return np.asarray(partition.membership, dtype=np.int64)


class Leiden(PCAModel):
    def __init__(self, n_components: int, n_neighbors: int, resolution: float, seed: int) -> None:
        super().__init__(n_components, seed)
        self.n_neighbors, self.resolution = n_neighbors, resolution
        self.fitted: np.ndarray | None = None
        self.labels: np.ndarray | None = None

    def fit(self, X: torch.Tensor) -> None:
        self.fitted = X.cpu().numpy()
        self.labels = leiden_partition(self.fit_pca(X), self.n_neighbors, self.resolution, self.seed)

    def clusters(self, x: torch.Tensor) -> np.ndarray:
        data = x.cpu().numpy()
        if data.shape == self.fitted.shape and np.array_equal(data, self.fitted):
            return self.labels
        vote = KNeighborsClassifier(min(self.n_neighbors, len(self.labels)))
        vote.fit(self.pca.transform(self.fitted), self.labels)
        return vote.predict(self.pca.transform(data)).astype(np.int64)


@MODELS.register("leiden", PARAMETERS)
def build_leiden(cfg, spec: DataSpec) -> Leiden:
    return Leiden(int(cfg.n_components), int(cfg.n_neighbors), float(cfg.resolution), repeat_seed(cfg))
