"""L1 on the codes: beta * mean_i ||h_i||_1 (p is not used).

The per-example sum, batch mean scaling of the Keras blog's activity_regularizer in Keras 1
("Building Autoencoders in Keras": l1 1e-4 on a 32-unit code), which the lecture cites."""

import torch

from . import REGULARIZERS, STRENGTH, Penalized


@REGULARIZERS.register("l1", STRENGTH)
def l1_penalty(term: Penalized, cfg) -> torch.Tensor:
    return float(cfg.beta) * term.row_mean(term.activation.abs().sum(dim=-1))
