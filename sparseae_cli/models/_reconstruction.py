"""Reconstruction losses of the autoencoders that output a (pre-activation) decoder map.

``bce``: per-pixel binary cross-entropy averaged over pixels (Keras' ``binary_crossentropy``,
the loss the lecture's MNIST numbers are reported in), computed from the decoder's logits
for stability; needs targets in [0, 1]. ``mse``: mean squared error per entry.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import DataError
from ..params import Options
from .base import batch_mean, clean_input

LOSSES = ("bce", "mse")
LOSS_OPTION = Options(LOSSES, "the reconstruction loss")


def per_row_loss(name: str, logits: torch.Tensor, reconstruction: torch.Tensor,
                 target: torch.Tensor) -> torch.Tensor:
    """The loss of every row, averaged over its features: shape (..., B)."""
    if name == "bce":
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(-1)
    return F.mse_loss(reconstruction, target, reduction="none").mean(-1)


def mean_squared_error(reconstruction: torch.Tensor, batch) -> torch.Tensor:
    """The mean squared error over features against the clean input, averaged over the batch's
    rows (padding weighed out, members summed: ``base.batch_mean``)."""
    return batch_mean(F.mse_loss(reconstruction, clean_input(batch), reduction="none").mean(-1), batch)


def check_targets(name: str, X: np.ndarray) -> None:
    """Cross-entropy compares with probabilities: refuse data outside [0, 1] before training."""
    if name == "bce" and len(X) and (X.min() < 0 or X.max() > 1):
        raise DataError(f"model.loss=bce needs inputs in [0, 1] but the data spans "
                        f"[{X.min():.3g}, {X.max():.3g}]; "
                        "use model.loss=mse, or images (scaled to [0, 1]), or preprocess.standardize=false "
                        "preprocess.scale=false on data in [0, 1]")
