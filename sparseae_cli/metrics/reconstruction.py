"""Reconstruction error on the test part: mean squared error per entry."""

import numpy as np

from . import METRICS, EvalInputs


@METRICS.register("reconstruction")
def reconstruction(inputs: EvalInputs) -> dict:
    if inputs.reconstruction_test is None or inputs.x_test is None:
        return {}
    return {"mse": float(np.mean((inputs.reconstruction_test - inputs.x_test) ** 2))}
