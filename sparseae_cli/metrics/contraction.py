"""How contractive the encoder is on test points (Rifai et al. 2011; the lecture's slide: most
singular values of the Jacobian fall below 1).

On the first ``eval.contraction_samples`` test points: the mean Frobenius norm of J = d code / d x
(``jacobian_norm``), the fraction of its singular values below 1 (``jacobian_sv_below_1``)
and the mean singular-value spectrum, largest first (``jacobian_spectrum``, a list).
"""

from __future__ import annotations

import numpy as np

from ..params import POSITIVE_INT
from . import METRICS, EvalInputs

DEFAULT_SAMPLES = 100


@METRICS.register("contraction", {"contraction_samples": POSITIVE_INT})
def contraction(inputs: EvalInputs) -> dict:
    if inputs.jacobians is None:
        return {}
    n = int(inputs.options.get("contraction_samples", DEFAULT_SAMPLES)) if inputs.options else DEFAULT_SAMPLES
    J = inputs.jacobians(inputs.x_test[:n]).astype(np.float64)  # (n, k, d)
    singular = np.linalg.svd(J, compute_uv=False)  # (n, min(k, d)), largest first
    return {"jacobian_norm": float(np.linalg.norm(J, axis=(1, 2)).mean()),
            "jacobian_sv_below_1": float((singular < 1).mean()),
            "jacobian_spectrum": singular.mean(axis=0).tolist()}
