"""Hoyer (2004) sparseness of the codes, averaged over the test samples.

An all-zero code has no sparseness (0/0: the formula would give sqrt(n)/(sqrt(n)-1) > 1), so it
is left out of the mean and counted in ``zero_codes`` (the fraction of test codes that are all
zero: a threshold or a ReLU can silence a whole code).
"""

import torch

from ..hoyer import sparseness
from . import METRICS, EvalInputs


@METRICS.register("hoyer")
def hoyer_sparsity(inputs: EvalInputs) -> dict:
    codes = torch.as_tensor(inputs.code_test, dtype=torch.float64)
    nonzero = codes.abs().sum(-1) > 0
    mean = float(sparseness(codes[nonzero]).mean()) if bool(nonzero.any()) else float("nan")
    return {"hoyer_sparsity": mean, "zero_codes": float(1 - nonzero.double().mean())}
