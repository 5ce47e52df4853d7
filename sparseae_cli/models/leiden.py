"""Leiden community detection on a k-nearest-neighbour graph of principal components (Traag,
Waltman & van Eck, Sci. Rep. 2019): scanpy's default clustering, the one single-cell users
compare SAUCIE with. Each cell is joined to its ``n_neighbors`` nearest cells (the union of both
directions, unweighted), and ``leidenalg`` partitions the graph with the RB-configuration quality
at ``resolution`` (scanpy's defaults: 50 components, 15 neighbours, resolution 1).

``neighbors``: ``exact`` (scikit-learn; brute force in more than 15 dimensions, quadratic in
cells), ``approximate`` (NN-descent, ``pynndescent``, as scanpy for large sets; about 97% of the
exact neighbours found on a CyTOF-like set), ``auto``: approximate above 50,000 cells.

Leiden is transductive: it labels the cells it was fitted on. Other cells take the majority
label of their ``n_neighbors`` nearest fitted cells.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import DataError
from ..params import POSITIVE, POSITIVE_INT, Options
from . import MODELS, DataSpec
from ._pca_base import SEED, PCAModel, repeat_seed
from .base import NO_CONSTRAINT, NO_REGULARIZER

PARAMETERS = {"n_components": POSITIVE_INT, "n_neighbors": POSITIVE_INT, "resolution": POSITIVE,
              "neighbors": Options(("auto", "exact", "approximate")),
              "seed": SEED, "/regularizer.name": NO_REGULARIZER, "/constraint.name": NO_CONSTRAINT}
APPROXIMATE_ABOVE = 50_000


def nearest_neighbours(points: np.ndarray, k: int, method: str, seed: int) -> np.ndarray:
    """(n, k) indices of each point's k nearest other points."""
    from sklearn.neighbors import NearestNeighbors  # lazy (registry.py)

    if method == "auto":
        method = "approximate" if len(points) > APPROXIMATE_ABOVE else "exact"
    if method == "exact":
        return NearestNeighbors(n_neighbors=k, n_jobs=-1).fit(points).kneighbors(return_distance=False)
    try:
        from pynndescent import NNDescent
    except ImportError:
        raise DataError("model.neighbors=approximate needs pynndescent: pip install 'sparseae[singlecell]' "
                        "(or model.neighbors=exact)") from None
    found = NNDescent(points, n_neighbors=k + 1, random_state=seed, n_jobs=-1).neighbor_graph[0]
    is_self = found == np.arange(len(points))[:, None]
    is_self[~is_self.any(1), -1] = True  # the point itself not found: drop the farthest instead
    return found[~is_self].reshape(len(points), k)


def undirected_edges(neighbours: np.ndarray) -> np.ndarray:
    """The kNN graph's edges (m, 2), each pair once: i ~ j when either lists the other."""
    n = len(neighbours)
    rows = np.repeat(np.arange(n, dtype=np.int64), neighbours.shape[1])
    cols = neighbours.reshape(-1).astype(np.int64)
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    keys = np.unique(low[low != high] * n + high[low != high])
    return np.column_stack([keys // n, keys % n])


def leiden_partition(coordinates: np.ndarray, n_neighbors: int, resolution: float, seed: int,
                     neighbors: str = "auto") -> np.ndarray:
    """Leiden communities (numbered by decreasing size, leidenalg's order) of the kNN graph."""
    try:
        import igraph
        import leidenalg
    except ImportError:
        raise DataError("model=leiden needs leidenalg and igraph: pip install 'sparseae[singlecell]'") from None
    k = min(n_neighbors, len(coordinates) - 1)
    edges = undirected_edges(nearest_neighbours(coordinates, k, neighbors, seed))
    network = igraph.Graph(n=len(coordinates), edges=edges)
    partition = leidenalg.find_partition(network, leidenalg.RBConfigurationVertexPartition,
                                         resolution_parameter=resolution, seed=seed)
    return np.asarray(partition.membership, dtype=np.int64)


class Leiden(PCAModel):
    def __init__(self, n_components: int, n_neighbors: int, resolution: float, seed: int,
                 neighbors: str = "auto") -> None:
        super().__init__(n_components, seed)
        self.n_neighbors, self.resolution, self.neighbors = n_neighbors, resolution, neighbors
        self.fitted: np.ndarray | None = None
        self.labels: np.ndarray | None = None

    def fit(self, X: torch.Tensor) -> None:
        self.fitted = X.cpu().numpy()
        self.labels = leiden_partition(self.fit_pca(X), self.n_neighbors, self.resolution, self.seed,
                                       self.neighbors)

    def clusters(self, x: torch.Tensor) -> np.ndarray:
        from sklearn.neighbors import KNeighborsClassifier  # lazy (registry.py)

        data = x.cpu().numpy()
        if data.shape == self.fitted.shape and np.array_equal(data, self.fitted):
            return self.labels
        vote = KNeighborsClassifier(min(self.n_neighbors, len(self.labels)))
        vote.fit(self.pca.transform(self.fitted), self.labels)
        return vote.predict(self.pca.transform(data)).astype(np.int64)


@MODELS.register("leiden", PARAMETERS)
def build_leiden(cfg, spec: DataSpec) -> Leiden:
    return Leiden(int(cfg.n_components), int(cfg.n_neighbors), float(cfg.resolution), repeat_seed(cfg),
                  str(cfg.get("neighbors", "auto")))
