"""How well the samples of origin mix, before (inputs) and after (codes) a model.

``batch_entropy``: for each cell, the entropy of the batch labels among its k nearest neighbours
(self excluded), divided by log(number of batches), averaged over cells: 1 when every
neighbourhood holds the batches in equal shares, 0 when each holds one batch (Haghverdi et al.
2018 and Korsunsky et al. 2019 score batch correction this way). ``batch_entropy_input`` is the
same on the model's inputs, the "before". ``embedding_ari``: k-means with as many clusters as
cell types on the codes against the types, so that a correction that also erases biology
(over-correction) shows. Cells are queried on a seeded subset of ``eval.batch_mixing_samples``;
their neighbours come from every cell.
"""

from __future__ import annotations

import numpy as np

from ..params import POSITIVE_INT
from . import METRICS, EvalInputs

PARAMETERS = {"batch_mixing_k": POSITIVE_INT, "batch_mixing_samples": POSITIVE_INT}


def neighbour_batch_entropy(points: np.ndarray, groups: np.ndarray, k: int, queries: np.ndarray) -> float:
    """Mean over ``queries`` (row indices) of the normalised entropy of their k neighbours' batches."""
    from sklearn.neighbors import NearestNeighbors  # lazy (registry.py)

    n_groups = int(groups.max()) + 1
    k = min(k, len(points) - 1)
    neighbours = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points[queries], return_distance=False)
    is_self = neighbours == queries[:, None]
    is_self[~is_self.any(1), -1] = True  # a duplicate may stand first: drop the last instead
    others = neighbours[~is_self].reshape(len(queries), k)
    shares = (groups[others][..., None] == np.arange(n_groups)).mean(1)  # (queries, batches)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(shares > 0, shares * np.log(shares), 0.0).sum(1)
    return float(entropy.mean() / np.log(n_groups))


@METRICS.register("batch_mixing", PARAMETERS)
def batch_mixing(inputs: EvalInputs) -> dict:
    from sklearn.cluster import KMeans  # lazy (registry.py)
    from sklearn.metrics import adjusted_rand_score  # lazy (registry.py)

    groups = inputs.groups_test
    if groups is None or len(np.unique(groups)) < 2:
        return {}
    options = inputs.options or {}
    k = int(options.get("batch_mixing_k", 15))
    n = len(groups)
    size = min(n, int(options.get("batch_mixing_samples", 10000)))
    queries = np.sort(np.random.default_rng(inputs.seed).choice(n, size=size, replace=False))
    scores = {"batch_entropy": neighbour_batch_entropy(inputs.code_test, groups, k, queries)}
    if inputs.x_test is not None:
        scores["batch_entropy_input"] = neighbour_batch_entropy(inputs.x_test, groups, k, queries)
    n_types = len(np.unique(inputs.y_test))
    if n_types > 1:
        types = KMeans(n_types, n_init=10, random_state=inputs.seed).fit_predict(inputs.code_test)
        scores["embedding_ari"] = float(adjusted_rand_score(inputs.y_test, types))
    return scores
