"""SAUCIE: Sparse Autoencoder for Unsupervised Clustering, Imputation and Embedding (Amodio, van
Dijk, Srinivasan et al., Nat. Methods 2019; the Yale lecture's SAUCIE slides).

Encoder d -> 512 -> 256 -> 128 -> 2 (the embedding, linear), leaky ReLU max(x, 0.2x); decoder
2 -> 128 -> 256 -> 512 -> d (linear output). The last decoder hidden layer (512) is the clustering
layer: plain ReLU when ``lambda_c`` > 0, so that it can be binarised. The loss is

    MSE(x_hat, x) + lambda_c ID(A) + lambda_d WCD(A, x) + lambda_b sum_g |MMD(e_ref, e_g)|

with the terms of ``_saucie_terms``; with ``lambda_b`` > 0 the reconstruction term becomes the
reference-batch MSE plus 0.01 x the standardised MSE of the other batches. Clusters are the
distinct binarised codes of the clustering layer held by more than ``min_cluster_size`` cells.
Glorot-uniform weights, zero biases, Adam 1e-3, as the reference (KrishnaswamyLab/SAUCIE).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..params import NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE_INT, ListOf
from . import MODELS, DataSpec
from ._autoencoder import keras_init_
from ._saucie_terms import (
    ACTIVE,
    batch_corrected_reconstruction,
    clusters_of_codes,
    information_dimension,
    mmd,
    within_cluster_distance,
)
from .base import GradientModel

LEAK = 0.2
PARAMETERS = {"hidden": ListOf(POSITIVE_INT), "embedding": POSITIVE_INT, "lambda_c": NON_NEGATIVE,
              "lambda_d": NON_NEGATIVE, "lambda_b": NON_NEGATIVE, "min_cluster_size": NON_NEGATIVE_INT}


def _stack(sizes: list[int], last_activation: nn.Module | None) -> nn.Sequential:
    """Linear layers, leaky ReLU between them, ``last_activation`` (or nothing) after the last."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(LEAK))
    if last_activation is not None:
        layers.append(last_activation)
    return nn.Sequential(*layers)


class Saucie(GradientModel):
    # Its regularisers compare the rows of a batch with each other: a padded stacked batch would
    # change them, so folds and seeds train one by one.
    stackable = False

    def __init__(self, n_features: int, hidden: list[int], embedding: int, lambda_c: float, lambda_d: float,
                 lambda_b: float, min_cluster_size: int) -> None:
        super().__init__()
        self.lambda_c, self.lambda_d, self.lambda_b = lambda_c, lambda_d, lambda_b
        self.min_cluster_size = min_cluster_size
        self.encoder = _stack([n_features, *hidden, embedding], None)
        clustering = nn.ReLU() if lambda_c > 0 else nn.LeakyReLU(LEAK)
        self.decoder_hidden = _stack([embedding, *reversed(hidden)], clustering)
        self.output = nn.Linear(hidden[0], n_features)
        self.apply(keras_init_)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return self.output(self.decoder_hidden(code))

    def forward(self, batch, ctx=None) -> dict[str, torch.Tensor]:
        code = self.encode(batch["x"])
        layer_c = self.decoder_hidden(code)
        return {"code": code, "reconstruction": self.output(layer_c), "layer_c": layer_c}

    def loss(self, batch, outputs, ctx=None):
        x, reconstruction, layer_c = batch["x"], outputs["reconstruction"], outputs["layer_c"]
        groups = batch.get("group")
        correcting = self.lambda_b > 0 and groups is not None
        parts = {"mse": (batch_corrected_reconstruction(reconstruction, x, groups) if correcting
                         else (reconstruction - x).square().mean())}
        if self.lambda_c > 0:
            parts["id"] = self.lambda_c * information_dimension(layer_c)
        if self.lambda_d > 0:
            parts["within_cluster"] = self.lambda_d * within_cluster_distance(layer_c, x)
        if correcting:
            parts["mmd"] = self.lambda_b * mmd(outputs["code"], groups)
        return sum(parts.values()), parts

    @torch.no_grad()
    def clusters(self, x: torch.Tensor, chunk: int = 65536) -> np.ndarray | None:
        """SAUCIE's read-out (``_saucie_terms.binary_clusters``) over the whole of ``x``, in two
        passes over chunks: the layer's maximum, then the codes binarised at 1e-6 of it and packed
        8 to a byte (a million cells hold 64 MB of codes, not 2 GB of activations). None without
        the ID regulariser (a leaky layer has no zeros to binarise)."""
        if self.lambda_c == 0:
            return None
        self.eval()

        def layers():
            for start in range(0, len(x), chunk):
                yield self.decoder_hidden(self.encode(x[start:start + chunk]))

        top = max(float(layer.max()) for layer in layers())
        if top <= 0:
            return clusters_of_codes(np.zeros((len(x), 1), np.uint8), self.min_cluster_size)
        packed = [np.packbits((layer > ACTIVE * top).cpu().numpy(), axis=1) for layer in layers()]
        return clusters_of_codes(np.concatenate(packed), self.min_cluster_size)

    def divergence_hint(self) -> str:
        return ("lower train.lr or the lambdas, and train on arcsinh- or log-transformed data "
                "(values within about [-10, 10], as SAUCIE's authors advise)")


@MODELS.register("saucie", PARAMETERS)
def build_saucie(cfg, spec: DataSpec) -> Saucie:
    return Saucie(spec.n_features, list(cfg.hidden), int(cfg.embedding), float(cfg.lambda_c),
                  float(cfg.lambda_d), float(cfg.lambda_b), int(cfg.min_cluster_size))
