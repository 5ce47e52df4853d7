"""An archetypal model's codes are barycentric coordinates b (sum b = 1) over its archetypes:
``in_simplex_fraction`` is the share of cells with every b_j >= 0 (to 1e-6), i.e. true convex
mixtures, and ``outside_distance`` the mean of sum_j max(-b_j, 0) (AAnet's measure of how far
outside). The archetypes themselves are saved with the run (``archetypes_*.npz``)."""

from __future__ import annotations

import numpy as np

from . import METRICS, EvalInputs

TOLERANCE = 1e-6


@METRICS.register("archetypal")
def archetypal(inputs: EvalInputs) -> dict:
    if inputs.archetypes is None:
        return {}
    b = inputs.code_test
    return {"in_simplex_fraction": float(np.mean((b >= -TOLERANCE).all(1))),
            "outside_distance": float(np.clip(-b, 0, None).sum(1).mean())}
