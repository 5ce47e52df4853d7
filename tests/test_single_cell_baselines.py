"""The clustering baselines: k-means on PCA equals scikit-learn's pipeline, Leiden recovers
well-separated populations and labels new cells by their neighbours, each repeat its own seed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

from sparseae_cli.models import MODELS, DataSpec
from sparseae_cli.models.kmeans_pca import KMeansPCA
from sparseae_cli.models.leiden import Leiden

from .conftest import composed

pytest.importorskip("leidenalg")


def blobs(n=600, seed=0):
    X, y = make_blobs(n, n_features=20, centers=5, cluster_std=1.0, random_state=seed)
    return torch.tensor(X, dtype=torch.float32), y


def test_kmeans_on_pca_is_scikit_learns_pipeline():
    X, _ = blobs()
    model = KMeansPCA(n_components=10, n_clusters=5, n_init=4, seed=3)
    model.fit(X)
    coordinates = PCA(10, random_state=3).fit_transform(X.numpy())
    expected = KMeans(5, n_init=4, random_state=3).fit_predict(coordinates)
    assert adjusted_rand_score(expected, model.clusters(X)) == pytest.approx(1.0)
    np.testing.assert_allclose(model.encode(X).numpy(), coordinates, atol=1e-3)


def test_leiden_recovers_separated_populations_and_votes_for_new_cells():
    X, y = blobs()
    model = Leiden(n_components=10, n_neighbors=15, resolution=0.5, seed=0)
    model.fit(X[:500])
    assert adjusted_rand_score(y[:500], model.clusters(X[:500])) > 0.95
    np.testing.assert_array_equal(model.clusters(X[:500]), model.labels)  # the fitted cells: their partition
    assert adjusted_rand_score(y[500:], model.clusters(X[500:])) > 0.95  # new cells: neighbours' majority


def test_higher_resolution_gives_more_leiden_clusters():
    X, _ = blobs(seed=1)
    counts = []
    for resolution in (0.2, 5.0):
        model = Leiden(10, 15, resolution, seed=0)
        model.fit(X)
        counts.append(len(np.unique(model.labels)))
    assert counts[0] < counts[1]


@pytest.mark.parametrize("name", ["kmeans_pca", "leiden", "pca_archetypes"])
def test_a_null_seed_is_each_repeats_own(name):
    cfg = composed(f"model={name}").model
    assert cfg.seed is None
    seeds = []
    for repeat_seed in (0, 1):
        torch.manual_seed(repeat_seed)  # as the runner does before building each repeat's model
        seeds.append(MODELS.get(name)(cfg, DataSpec(20, 5)).seed)
    assert seeds == [0, 1]
    cfg.seed = 7
    assert MODELS.get(name)(cfg, DataSpec(20, 5)).seed == 7


def test_the_graph_is_scikit_learns_symmetrised_knn_graph():
    from sklearn.neighbors import kneighbors_graph

    from sparseae_cli.models.leiden import nearest_neighbours, undirected_edges

    X, _ = blobs(n=300)
    points = X.numpy()
    edges = undirected_edges(nearest_neighbours(points, 10, "exact", seed=0))
    graph = kneighbors_graph(points, 10, mode="connectivity")
    expected = graph.maximum(graph.T).tocoo()
    upper = expected.row < expected.col
    assert sorted(map(tuple, edges.tolist())) == sorted(zip(expected.row[upper], expected.col[upper]))
    assert (edges[:, 0] < edges[:, 1]).all()
