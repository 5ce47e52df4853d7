"""Silhouette (Rousseeuw 1987) of the true classes in the latent space: train, test, and both.

Its cost is quadratic in the number of points: ``eval.silhouette_samples`` scores a random
subset of that size instead (scikit-learn's ``sample_size``, seeded), e.g. on MNIST's 60,000
training codes; null scores every point."""

from functools import partial

import numpy as np
from sklearn.metrics import silhouette_score

from ..params import POSITIVE_INT, Optional
from . import METRICS, EvalInputs


def _silhouette(codes: np.ndarray, labels: np.ndarray, sample_size: int | None = None, seed: int = 0) -> float:
    if len(np.unique(labels)) < 2 or len(labels) <= len(np.unique(labels)):
        return float("nan")
    if sample_size is not None and sample_size >= len(labels):
        sample_size = None
    return float(silhouette_score(codes, labels, metric="euclidean", sample_size=sample_size, random_state=seed))


@METRICS.register("silhouette", {"silhouette_samples": Optional(POSITIVE_INT)})
def silhouette(inputs: EvalInputs) -> dict:
    samples = inputs.options.get("silhouette_samples") if inputs.options is not None else None
    score = partial(_silhouette, sample_size=samples, seed=inputs.seed)
    if inputs.code_train is None:
        return {"silhouette_test": score(inputs.code_test, inputs.y_test)}
    return {
        "silhouette_train": score(inputs.code_train, inputs.y_train),
        "silhouette_test": score(inputs.code_test, inputs.y_test),
        "silhouette_all": score(np.concatenate([inputs.code_train, inputs.code_test]),
                                np.concatenate([inputs.y_train, inputs.y_test])),
    }
