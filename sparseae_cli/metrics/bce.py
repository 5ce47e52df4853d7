"""Per-pixel binary cross-entropy of the reconstructions, train and test: the loss the lecture's
MNIST numbers (after the Keras blog) are given in. As Keras computes it: the reconstruction is
clipped to [1e-7, 1 - 1e-7], and the entries are averaged over pixels and images."""

import numpy as np

from . import METRICS, EvalInputs

EPSILON = 1e-7  # Keras' backend epsilon


def binary_cross_entropy(reconstruction: np.ndarray, x: np.ndarray) -> float:
    p = np.clip(reconstruction.astype(np.float64), EPSILON, 1 - EPSILON)
    return float(-np.mean(x * np.log(p) + (1 - x) * np.log1p(-p)))


def _in_unit_interval(*arrays) -> bool:
    return all(a is not None and a.size and a.min() >= 0 and a.max() <= 1 for a in arrays)


@METRICS.register("bce")
def bce(inputs: EvalInputs) -> dict:
    result = {}
    if _in_unit_interval(inputs.x_test, inputs.reconstruction_test):
        result["bce_test"] = binary_cross_entropy(inputs.reconstruction_test, inputs.x_test)
    if _in_unit_interval(inputs.x_train, inputs.reconstruction_train):
        result["bce_train"] = binary_cross_entropy(inputs.reconstruction_train, inputs.x_train)
    return result
