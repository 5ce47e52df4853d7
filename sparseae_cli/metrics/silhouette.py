"""Silhouette (Rousseeuw 1987) of the true classes in the latent space: train, test, and both."""

import numpy as np
from sklearn.metrics import silhouette_score

from . import METRICS, EvalInputs


def _silhouette(codes: np.ndarray, labels: np.ndarray) -> float:
    if len(np.unique(labels)) < 2 or len(labels) <= len(np.unique(labels)):
        return float("nan")
    return float(silhouette_score(codes, labels, metric="euclidean"))


@METRICS.register("silhouette")
def silhouette(inputs: EvalInputs) -> dict:
    if inputs.code_train is None:
        return {"silhouette_test": _silhouette(inputs.code_test, inputs.y_test)}
    return {
        "silhouette_train": _silhouette(inputs.code_train, inputs.y_train),
        "silhouette_test": _silhouette(inputs.code_test, inputs.y_test),
        "silhouette_all": _silhouette(np.concatenate([inputs.code_train, inputs.code_test]),
                                      np.concatenate([inputs.y_train, inputs.y_test])),
    }
