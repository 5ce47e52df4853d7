"""Autoencoder with binary codes (the lecture's information-retrieval slide; Salakhutdinov &
Hinton, "Semantic hashing", 2009).

A fully connected AE whose code layer is a sigmoid with Gaussian noise of standard deviation
``code_noise`` added to its input while training: to carry information through the noise the
code units learn to saturate at 0 or 1. At evaluation the code is binarised, h = 1[Wx + b > 0],
and decoded as such, so documents (images) can be looked up by Hamming distance.
"""

from __future__ import annotations

import torch

from ..params import NON_NEGATIVE, POSITIVE_INT, ListOf, Options
from . import MODELS, DataSpec
from ._autoencoder import AutoEncoder
from ._layers import ACTIVATIONS, mlp
from ._reconstruction import LOSS_OPTION

PARAMETERS = {"hidden": ListOf(POSITIVE_INT), "activation": Options(tuple(ACTIVATIONS)),
              "code_noise": NON_NEGATIVE.means("the noise's standard deviation at the code"),
              "output": Options(("sigmoid", "identity")), "loss": LOSS_OPTION}


class BinaryAE(AutoEncoder):
    def __init__(self, encoder, decoder, output: str, loss: str, code_noise: float) -> None:
        super().__init__(encoder, decoder, output, loss)
        self.code_noise = code_noise

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The binarised code (evaluation): 1 where the code unit's input is positive."""
        return (self.encoder(x) > 0).to(x.dtype)

    def forward(self, batch, ctx=None) -> dict[str, torch.Tensor]:
        if not self.training:
            return self.reconstruct(self.encode(batch["x"]))
        pre = self.encoder(batch["x"])
        if self.code_noise > 0 and ctx is not None and ctx.generators:
            pre = pre + self.code_noise * ctx.normal_like(pre)
        return self.reconstruct(torch.sigmoid(pre))


@MODELS.register("binary_ae", PARAMETERS)
def build_binary_ae(cfg, spec: DataSpec) -> BinaryAE:
    hidden = [int(h) for h in cfg.hidden]
    encoder = mlp([spec.n_features, *hidden], cfg.activation)  # the code's pre-activation
    decoder = mlp([*reversed(hidden), spec.n_features], cfg.activation)
    return BinaryAE(encoder, decoder, cfg.output, cfg.loss, float(cfg.code_noise))
