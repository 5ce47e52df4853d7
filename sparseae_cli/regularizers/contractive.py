"""Contractive penalty (Rifai et al., ICML 2011): beta * mean_i ||J_f(x_i)||_F^2, J_f the
Jacobian of the encoder at each input. It makes the code insensitive to most input
directions: most singular values of J fall below 1 (the lecture's contractive-AE slide).

The model computes the norm (``GradientModel.contraction``): a closed form for a one-layer
encoder, exact autodiff (torch.func) for deeper ones. The Theano tutorial's cA uses 0.1 on MNIST.
"""

import torch

from . import REGULARIZERS, STRENGTH, Penalized


@REGULARIZERS.register("contractive", STRENGTH)
def contractive_penalty(term: Penalized, cfg) -> torch.Tensor:
    return float(cfg.beta) * term.row_mean(term.model.contraction(term.batch["x"]))
