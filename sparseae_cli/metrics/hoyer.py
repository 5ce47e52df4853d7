"""Hoyer (2004) sparseness of the codes, averaged over the test samples."""

import torch

from ..hoyer import sparseness
from . import METRICS, EvalInputs


@METRICS.register("hoyer")
def hoyer_sparsity(inputs: EvalInputs) -> dict:
    codes = torch.as_tensor(inputs.code_test, dtype=torch.float64)
    return {"hoyer_sparsity": float(sparseness(codes).mean())}
