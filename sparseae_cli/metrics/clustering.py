"""Clusters against cell types: the adjusted Rand index and normalised mutual information
(scikit-learn), the number of clusters and the fraction of unassigned cells (SAUCIE's -1, which
the indices count as one more cluster). Unlabelled data gets the counts only."""

from __future__ import annotations

import numpy as np

from . import METRICS, EvalInputs


@METRICS.register("clustering")
def clustering(inputs: EvalInputs) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # lazy (registry.py)

    clusters = inputs.clusters_test
    if clusters is None:
        return {}
    scores = {"n_clusters": int(len(np.setdiff1d(np.unique(clusters), [-1]))),
              "unassigned_fraction": float(np.mean(clusters == -1))}
    if len(np.unique(inputs.y_test)) > 1:
        scores["ari"] = float(adjusted_rand_score(inputs.y_test, clusters))
        scores["nmi"] = float(normalized_mutual_info_score(inputs.y_test, clusters))
    return scores
