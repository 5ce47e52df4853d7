"""The lecture's autoencoders (Yale lecture; the Keras blog "Building Autoencoders in Keras"):
x -> encoder -> code h -> decoder -> logits z -> x_hat = output(z).

The loss is the reconstruction's (``_reconstruction``: per-pixel cross-entropy from the
logits, or MSE) against the clean input, so any of them trains as a denoising AE
(``train.corruption``). Sparse (``regularizer=l1``) and contractive
(``regularizer=contractive``) variants are regularizers on the code, not models.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..activations import activate
from ..errors import UsageError
from ._reconstruction import check_targets, per_row_loss
from .base import Dictionary, GradientModel, batch_mean, clean_input


def keras_init_(module: nn.Module) -> None:
    """Keras' default initialisation (glorot_uniform weights, zero biases), as the blog's models."""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


class AutoEncoder(GradientModel):
    def __init__(self, encoder: nn.Module, decoder: nn.Module, output: str, loss: str) -> None:
        super().__init__()
        if loss == "bce" and output != "sigmoid":
            raise UsageError(f"model.loss=bce reads the decoder's output as probabilities: it needs "
                             f"model.output=sigmoid, not {output} (or use model.loss=mse)")
        self.encoder, self.decoder = encoder, decoder
        self.output, self.loss_name = output, loss
        self.apply(keras_init_)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return activate(self.decoder(h), self.output)

    def reconstruct(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        """The decoder's outputs for code ``h``; the logits only while training (the loss's)."""
        logits = self.decoder(h)
        outputs = {"code": h, "reconstruction": activate(logits, self.output)}
        if self.training:
            outputs["reconstruction_logits"] = logits
        return outputs

    def forward(self, batch, ctx=None) -> dict[str, torch.Tensor]:
        return self.reconstruct(self.encode(batch["x"]))

    def loss(self, batch, outputs, ctx=None):
        per_row = per_row_loss(self.loss_name, outputs.get("reconstruction_logits"),
                               outputs["reconstruction"], clean_input(batch))
        value = batch_mean(per_row, batch)
        return value, {self.loss_name: value}

    def check_inputs(self, X: np.ndarray) -> None:
        check_targets(self.loss_name, X)

    def dictionary(self) -> Dictionary | None:
        """The atoms of a one-layer dense decoder (the linear and the one-hidden-layer AEs)."""
        layers = list(self.decoder.children())  # the builders' decoders are nn.Sequential
        if len(layers) != 1 or not isinstance(layers[0], nn.Linear):
            return None
        layer = layers[0]
        return Dictionary(layer.weight.detach().T.cpu().numpy(), layer.bias.detach().cpu().numpy(), self.output)
