"""Fully connected autoencoder (the lecture's "simple" and "deep" AEs, after the Keras blog).

Encoder d -> hidden[0] -> ... -> hidden[-1] = code, ``activation`` after every layer (the
code included: the blog's ReLU code); the decoder mirrors it back to d, with ``output``
(sigmoid) on top. Defaults: 784-32-784, the blog's simple AE; ``model.hidden=[128,64,32]``
is its deep one.

With one encoder layer h = a(Wx + b), the contractive penalty has a closed form (Rifai et al.
2011): ||J||_F^2 = sum_j a'(Wx + b)_j^2 ||W_j||^2, with a' = h(1 - h) for a sigmoid,
1[h > 0] for a ReLU and 1 for the identity.
"""

from __future__ import annotations

import torch
from torch import nn

from ..params import POSITIVE_INT, ListOf, Options
from . import MODELS, DataSpec
from ._autoencoder import AutoEncoder
from ._layers import ACTIVATIONS, mlp
from ._reconstruction import LOSS_OPTION

PARAMETERS = {"hidden": ListOf(POSITIVE_INT), "activation": Options(tuple(ACTIVATIONS)),
              "output": Options(("sigmoid", "identity")), "loss": LOSS_OPTION}
# a'(pre-activation) written with the activation's value h, for the closed-form Jacobian.
DERIVATIVE_FROM_OUTPUT = {
    nn.Sigmoid: lambda h: h * (1 - h),
    nn.ReLU: lambda h: (h > 0).to(h.dtype),
    nn.Identity: lambda h: torch.ones_like(h),
}


class MLPAutoEncoder(AutoEncoder):
    def contraction(self, x: torch.Tensor) -> torch.Tensor:
        first, *rest = self.encoder.children()  # [Linear] or [Linear, activation] for one layer
        nonlinearity = type(rest[0]) if len(rest) == 1 else nn.Identity if not rest else None
        derivative = DERIVATIVE_FROM_OUTPUT.get(nonlinearity)
        if derivative is None:  # deeper encoders: exact, by autodiff
            return super().contraction(x)
        row_norms = first.weight.square().sum(-1).unsqueeze(-2)  # ||W_j||^2: (..., 1, k)
        return (derivative(self.encode(x)).square() * row_norms).sum(-1)


def build_mlp(n_features: int, hidden: list[int], activation: str, output: str, loss: str) -> MLPAutoEncoder:
    encoder = mlp([n_features, *hidden], activation, output_activation=activation)
    decoder = mlp([*reversed(hidden), n_features], activation)
    return MLPAutoEncoder(encoder, decoder, output, loss)


@MODELS.register("mlp_ae", PARAMETERS)
def build_mlp_ae(cfg, spec: DataSpec) -> MLPAutoEncoder:
    return build_mlp(spec.n_features, list(cfg.hidden), cfg.activation, cfg.output, cfg.loss)
