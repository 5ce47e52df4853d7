"""The single-cell metrics: clusters against labels (scikit-learn's indices), neighbourhood batch
entropy against a brute-force count, and the archetypal coverage by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import entropy
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from sparseae_cli.metrics import METRICS, EvalInputs
from sparseae_cli.metrics.batch_mixing import neighbour_batch_entropy


def inputs(**kwargs) -> EvalInputs:
    n = len(kwargs.get("code_test", np.zeros((6, 2))))
    base = dict(code_train=None, code_test=np.zeros((n, 2)), y_train=np.zeros(0, int),
                y_test=np.arange(n) % 2, options={"batch_mixing_k": 3, "batch_mixing_samples": 10000})
    return EvalInputs(**{**base, **kwargs})


def test_clustering_scores_are_scikit_learns_with_unassigned_counted_as_one_cluster():
    y = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    clusters = np.array([0, 0, -1, 1, 1, -1, 2, 2])
    scores = METRICS.get("clustering")(inputs(code_test=np.zeros((8, 2)), y_test=y, clusters_test=clusters))
    assert scores["n_clusters"] == 3 and scores["unassigned_fraction"] == 0.25
    assert scores["ari"] == pytest.approx(adjusted_rand_score(y, clusters))
    assert scores["nmi"] == pytest.approx(normalized_mutual_info_score(y, clusters))
    unlabelled = METRICS.get("clustering")(inputs(code_test=np.zeros((8, 2)), y_test=np.zeros(8, int),
                                                  clusters_test=clusters))
    assert set(unlabelled) == {"n_clusters", "unassigned_fraction"}
    assert METRICS.get("clustering")(inputs()) == {}


def brute_force_entropy(points, groups, k):
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    scores = []
    for row in distances:
        neighbours = np.argsort(row, kind="stable")[:k]
        shares = np.bincount(groups[neighbours], minlength=groups.max() + 1) / k
        scores.append(entropy(shares) / np.log(groups.max() + 1))
    return float(np.mean(scores))


def test_batch_entropy_matches_brute_force_and_its_extremes():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(60, 3))
    groups = rng.integers(0, 3, 60)
    every = np.arange(60)
    expected = brute_force_entropy(points, groups, 5)
    assert neighbour_batch_entropy(points, groups, 5, every) == pytest.approx(expected)
    # batches far apart: every neighbourhood holds one batch
    apart = np.vstack([rng.normal(size=(20, 2)), rng.normal(size=(20, 2)) + 100])
    assert neighbour_batch_entropy(apart, np.repeat([0, 1], 20), 4, np.arange(40)) == 0
    # a subset of queries averages over those cells only
    queries = np.arange(0, 60, 3)
    full = [neighbour_batch_entropy(points, groups, 5, np.array([q])) for q in queries]
    assert neighbour_batch_entropy(points, groups, 5, queries) == pytest.approx(np.mean(full))


def test_batch_mixing_reports_before_after_and_the_biology_kept():
    rng = np.random.default_rng(1)
    types = np.repeat([0, 1], 50)
    x = rng.normal(size=(100, 4)) + types[:, None] * 10
    groups = np.tile([0, 1], 50)
    x_shifted = x + groups[:, None] * 5.0  # the batch effect, which the "code" has removed
    scores = METRICS.get("batch_mixing")(inputs(code_test=x, x_test=x_shifted, y_test=types, groups_test=groups,
                                               options={"batch_mixing_k": 10, "batch_mixing_samples": 40}))
    assert scores["batch_entropy"] > 0.8 and scores["batch_entropy_input"] < 0.2
    assert scores["embedding_ari"] == pytest.approx(1.0)
    assert METRICS.get("batch_mixing")(inputs(groups_test=np.zeros(6, int))) == {}  # one batch: nothing to mix


def test_archetypal_coverage_by_hand():
    b = np.array([[0.5, 0.5, 0.0], [1.2, -0.2, 0.0], [-1e-7, 0.5, 0.5 + 1e-7], [-0.5, -0.5, 2.0]])
    scores = METRICS.get("archetypal")(inputs(code_test=b, y_test=np.arange(4) % 2, archetypes=np.zeros((3, 5))))
    assert scores["in_simplex_fraction"] == 0.5
    assert scores["outside_distance"] == pytest.approx((0 + 0.2 + 1e-7 + 1.0) / 4)
    assert METRICS.get("archetypal")(inputs()) == {}
