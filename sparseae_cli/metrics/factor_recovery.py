"""How well the codes recover the data's true generative factors (generated sets that know them,
e.g. ``patches_synthetic``'s source coefficients): the mean correlation coefficient (MCC) of
Khemakhem et al. (iVAE, AISTATS 2020).

Every factor is matched to a distinct code unit by the Hungarian algorithm (scipy) on the
absolute Pearson correlation over the test set; the MCC is the mean matched |correlation|
(1: each factor is an affine function of its own unit, up to sign and order). With more units
than factors the spare units stay unmatched; ``factor_best_correlation`` is each factor's best
unit, ignoring the one-to-one constraint.
"""

import numpy as np

from . import METRICS, EvalInputs
from ._correlation import abs_correlation


def mean_correlation_coefficient(codes: np.ndarray, factors: np.ndarray) -> float:
    from scipy.optimize import linear_sum_assignment  # lazy (registry.py)

    correlation = abs_correlation(codes, factors)
    rows, cols = linear_sum_assignment(correlation, maximize=True)
    return float(correlation[rows, cols].sum() / len(factors.T))


@METRICS.register("factor_recovery")
def factor_recovery(inputs: EvalInputs) -> dict:
    if inputs.factors_test is None:
        return {}
    return {"factor_mcc": mean_correlation_coefficient(inputs.code_test, inputs.factors_test),
            "factor_best_correlation": float(abs_correlation(inputs.code_test, inputs.factors_test).max(1).mean())}
