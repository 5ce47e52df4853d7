"""Autoencoders whose decoder is one dense layer: its weights are a dictionary of atoms.

Part-based AE report (Ponchon 2018): x_hat = LeakyReLU_0.1(W_d h + b_d), each column of
W_d (each row of the torch weight's transpose) an atom image. Loss: mean squared error
plus, optionally, the asymmetric weight decay of NCAE (Hosseini-Asl et al. 2016),
(lam/2) sum(alpha w^2 [w >= 0] + w^2 [w < 0]), which pushes decoder weights to >= 0.
"""

from __future__ import annotations

import torch
from torch import nn

from ..params import NON_NEGATIVE, POSITIVE_INT
from ._reconstruction import mean_squared_error
from .base import Dictionary, GradientModel

NEGATIVE_SLOPE = 0.1
DECODER_ACTIVATION = "leaky_relu:0.1"  # its name in sparseae_cli.activations
PARAMETERS = {"code_size": POSITIVE_INT, "decay_alpha": NON_NEGATIVE, "decay_lambda": NON_NEGATIVE}


def glorot_(module: nn.Module) -> None:
    """Keras' default initialisation (glorot_uniform, zero bias), as in the reference."""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


class DictionaryAE(GradientModel):
    def __init__(self, encoder: nn.Module, n_code: int, n_features: int,
                 decay_alpha: float = 0.0, decay_lambda: float = 0.0) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = nn.Sequential(nn.Linear(n_code, n_features), nn.LeakyReLU(NEGATIVE_SLOPE))
        self.decay_alpha = decay_alpha
        self.decay_lambda = decay_lambda
        self.apply(glorot_)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(h)

    def forward(self, batch, ctx=None) -> dict[str, torch.Tensor]:
        h = self.encode(batch["x"])
        return {"code": h, "reconstruction": self.decode(h)}

    def loss(self, batch, outputs, ctx=None):
        mse = mean_squared_error(outputs["reconstruction"], batch)
        parts = {"mse": mse}
        total = mse
        if self.decay_lambda > 0:
            weight = self.decoder[0].weight
            decay = torch.where(weight >= 0, self.decay_alpha * weight**2, weight**2).sum()
            parts["asymmetric_decay"] = 0.5 * self.decay_lambda * decay
            total = total + parts["asymmetric_decay"]
        return total, parts

    def dictionary(self) -> Dictionary:
        """Atoms (k x features), decoder bias and output activation, for the dilation metric."""
        layer = self.decoder[0]
        return Dictionary(layer.weight.detach().T.cpu().numpy(), layer.bias.detach().cpu().numpy(),
                          DECODER_ACTIVATION)
