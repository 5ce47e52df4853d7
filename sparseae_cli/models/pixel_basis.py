"""The pixel basis: the identity map as a "model", so that raw inputs go through the same metrics
as learned codes (Theodosis & Ba, Fig 2a: distances between MNIST images in the pixel basis).

code = x, reconstruction = x, atoms = the standard basis (one indicator image per pixel).
"""

from __future__ import annotations

import numpy as np
import torch

from . import MODELS, DataSpec
from .base import NO_REGULARIZER, Dictionary, FittedModel


class PixelBasis(FittedModel):
    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.n_features = n_features

    def fit(self, X: torch.Tensor) -> None:
        """Nothing to learn."""

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return code

    def dictionary(self) -> Dictionary:
        return Dictionary(np.eye(self.n_features, dtype=np.float32), None, "identity")


@MODELS.register("pixel_basis", {"/regularizer.name": NO_REGULARIZER})
def build_pixel_basis(cfg, spec: DataSpec) -> PixelBasis:
    return PixelBasis(spec.n_features)
