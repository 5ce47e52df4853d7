"""Active units (Burda, Grosse & Salakhutdinov, ICLR 2016, sec. 5.2): a latent u is active when
the posterior location varies across the data, A_u = Cov_x(E_q[z_u]) > ``eval.active_threshold``
(their 0.01). Computed on the test codes (posterior locations for a VAE; any model's codes
otherwise, where the threshold is in the code's own units)."""

import numpy as np

from ..params import POSITIVE
from . import METRICS, EvalInputs


@METRICS.register("active_units", {"active_threshold": POSITIVE})
def active_units(inputs: EvalInputs) -> dict:
    threshold = float((inputs.options or {}).get("active_threshold", 0.01))
    variance = np.var(np.asarray(inputs.code_test, dtype=np.float64), axis=0)
    active = int((variance > threshold).sum())
    return {"active_units": active, "active_fraction": active / len(variance)}
