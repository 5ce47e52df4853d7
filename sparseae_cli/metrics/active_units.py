"""Active units (Burda, Grosse & Salakhutdinov, ICLR 2016, sec. 5.2): a latent u is active when
the posterior location varies across the data, A_u = Cov_x(E_q[z_u]) > ``eval.active_threshold``
(their 0.01). Computed on the test codes (posterior locations for a VAE; any model's codes
otherwise, where the threshold is in the code's own units)."""

import numpy as np

from ..params import POSITIVE
from . import METRICS, EvalInputs

ACTIVE_THRESHOLD = 0.01  # Burda et al.'s


def active_mask(codes: np.ndarray, threshold: float = ACTIVE_THRESHOLD) -> np.ndarray:
    """Which latents are active: the variance of their code over the rows exceeds ``threshold``."""
    return np.var(np.asarray(codes, dtype=np.float64), axis=0) > threshold


@METRICS.register("active_units", {"active_threshold": POSITIVE})
def active_units(inputs: EvalInputs) -> dict:
    active = active_mask(inputs.code_test, float((inputs.options or {}).get("active_threshold", ACTIVE_THRESHOLD)))
    return {"active_units": int(active.sum()), "active_fraction": float(active.mean())}
