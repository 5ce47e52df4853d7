"""The protocol every model implements, so that training, metrics and reports never ask
which family produced the codes.

Two explicit bases:
- ``GradientModel``: trained by the epoch loop. It must implement ``forward(batch, ctx)``
  (a dict holding ``code``, and ``reconstruction``, ``logits`` or other named activations
  when it has them) and ``loss(batch, outputs, ctx) -> (total, parts)``. The loop always
  calls ``after_step()`` after every optimiser step (before the constraint's projection).
- ``FittedModel``: fitted without gradients (sparse NMF, scikit-learn's NMF): ``fit(X)``,
  ``encode``, ``decode``.
Both may return a ``Dictionary`` (a one-layer decoder's atoms), ``sample(n, generator)``
(draws in input space, for generative models), ``log_weights`` (importance weights of a latent
density, for likelihood metrics), ``code_groups()`` (the code's group structure), ``clusters(x)``
(a cluster per row) and ``archetypes()`` (archetypes in input space), and may
initialise from the training data (``init_from_data``); the defaults say "none" and do nothing.

A batch is a mapping: ``x`` (inputs), ``y`` (labels), ``group`` (sample of origin, when the
dataset has one), in a stacked ensemble ``weight`` (1 for real rows, 0 for padding) and, when
training corrupts the inputs (denoising), ``clean``: what a reconstruction is compared with
(``clean_input``).
Tensors of a stacked ensemble carry a leading member dimension: (E, B, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from ..params import Options
from ..training.context import TrainingContext

Batch = Mapping[str, torch.Tensor]
Outputs = dict[str, torch.Tensor]
# A fitted model's parameter constraints: no activation regulariser and no projection reaches a
# model without a loss and without gradient steps.
NO_REGULARIZER = Options(("none",), "this model is fitted without gradients: no regularizer applies")
NO_CONSTRAINT = Options(("none",), "this model is fitted without gradients: no projection applies")


@dataclass(frozen=True)
class Dictionary:
    """A one-layer decoder x_hat = activation(atoms^T h + bias): atoms (k x features)."""

    atoms: np.ndarray
    bias: np.ndarray | None
    activation: str  # a name in sparseae_cli.activations.DECODER_ACTIVATIONS


class SparseModel(nn.Module):
    """What both bases share: encode, decode, and the optional capabilities."""

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def dictionary(self) -> Dictionary | None:
        """The decoder as atoms, when it is one dense layer (for the dilation metric)."""
        return None

    def check_inputs(self, X: np.ndarray) -> None:
        """Raise DataError (one line) when the model cannot take these (preprocessed) inputs,
        e.g. a cross-entropy reconstruction of data outside [0, 1]; checked before training."""

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor | None:
        """``n`` draws in input space from the model's prior, decoded; None if not generative."""
        return None

    def prior_quantiles(self, probabilities: torch.Tensor) -> torch.Tensor | None:
        """The latent prior's inverse CDF, per coordinate, at ``probabilities`` in (0, 1) (for
        latent-grid figures); None without a prior (the default)."""
        return None

    def init_from_data(self, X: np.ndarray, y: np.ndarray, generator: torch.Generator) -> None:
        """Initialise from the (preprocessed) training set, e.g. dictionary atoms drawn from
        training images; called once before training (a resumed run's checkpoint then replaces
        these weights). Default: keep the constructor's initialisation."""

    def log_weights(self, x: torch.Tensor, samples: int,
                    generator: torch.Generator) -> dict[str, torch.Tensor] | None:
        """A latent-variable model's importance weights: for ``samples`` draws z_s ~ q(z|x) per
        row, ``log_likelihood`` log p(x|z_s), ``log_prior`` log p(z_s) and ``log_posterior``
        log q(z_s|x), each (samples, B), and ``kl`` KL(q(z|x) || p(z)) per row (B,), for the
        likelihood metrics; None for a model without a latent density (the default)."""
        return None

    def clusters(self, x: torch.Tensor) -> np.ndarray | None:
        """A cluster index for every row of ``x`` (-1: unassigned) from a model that clusters
        (SAUCIE's binary codes, k-means, Leiden); None for the others (the default)."""
        return None

    def archetypes(self) -> np.ndarray | None:
        """The archetypes decoded to input space, (k, features), for an archetypal model (AAnet);
        None for the others (the default)."""
        return None

    def code_groups(self) -> np.ndarray | None:
        """The group index of every code unit (length k) when the code is group-structured
        (the group-sparse AE); None: every unit is its own group."""
        return None


class GradientModel(SparseModel):
    """A model trained by gradient descent on ``loss``. Subclasses set ``stackable = False``
    when their folds must not be trained as one stacked ensemble (see training.ensemble)."""

    stackable: ClassVar[bool] = True

    def forward(self, batch: Batch, ctx: TrainingContext | None = None) -> Outputs:
        raise NotImplementedError

    def loss(self, batch: Batch, outputs: Outputs,
             ctx: TrainingContext | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        raise NotImplementedError

    def after_step(self) -> None:
        """Called after every optimiser step (e.g. renormalise dictionary atoms)."""

    def divergence_hint(self) -> str:
        """What to change when the training loss became NaN or infinite (the failure's message)."""
        return "lower train.lr or check the data for extreme values"

    def contraction(self, x: torch.Tensor) -> torch.Tensor:
        """||J_f(x_i)||_F^2 for every row, J_f the Jacobian of the encoder f = ``encode``
        (the contractive AE's penalty, Rifai et al. ICML 2011): shape (..., B).

        Exact, by reverse-mode autodiff (torch.func.jacrev, one vector-Jacobian product per code
        unit, vmapped over rows), differentiable for training. Models with a closed form
        override it. In a stacked ensemble (x of shape (E, B, d)) member e's code depends on
        its own input only, so the cross-member blocks of the Jacobian are dropped.
        """
        return jacobians(self.encode, x).square().sum(dim=(-2, -1))


class FittedModel(SparseModel):
    """A model fitted on a whole data matrix at once, without gradients. It encodes whole
    sets at once too (its encoder is an iterative solver, not a per-batch map)."""

    def fit(self, X: torch.Tensor) -> None:
        raise NotImplementedError

    def forward(self, batch: Batch, ctx: TrainingContext | None = None) -> Outputs:
        code = self.encode(batch["x"])
        return {"code": code, "reconstruction": self.decode(code)}


def clean_input(batch: Batch) -> torch.Tensor:
    """What a reconstruction should equal: the clean input when training corrupted ``x``."""
    return batch.get("clean", batch["x"])


def jacobians(encode, x: torch.Tensor) -> torch.Tensor:
    """d encode(x_i) / d x_i for every row: (B, k, d), or (E, B, k, d) for stacked inputs.

    Reverse mode (one vector-Jacobian product per code unit) when the code is smaller than the
    input, forward mode (one Jacobian-vector product per input) otherwise: the same numbers.
    """
    with torch.no_grad():
        code_size = encode(x[..., :1, :]).shape[-1]
    transform = torch.func.jacrev if code_size <= x.shape[-1] else torch.func.jacfwd
    if x.ndim == 2:
        return torch.func.vmap(transform(lambda row: encode(row[None])[0]))(x)
    # Stacked: one row of every member at a time; keep each member's own block (e, :, e, :).
    per_row = torch.func.vmap(transform(lambda rows: encode(rows[:, None])[:, 0]), in_dims=1)(x)
    members = torch.arange(x.shape[0], device=x.device)
    return per_row[:, members, :, members, :]  # advanced indices first: (E, B, k, d)


def batch_sum(values: torch.Tensor, batch: Batch) -> torch.Tensor:
    """sum over rows (and members) of weight * values: padded rows of a stacked batch count 0."""
    return (padding_weight(values, batch) * values).sum()


def batch_mean(values: torch.Tensor, batch: Batch, row_weight: torch.Tensor | None = None,
               per_row: float = 1) -> torch.Tensor:
    """Each member's weighted mean over its rows, summed over members.

    values has shape (..., B). The divisor is sum(row_weight) * per_row (row_weight defaults
    to the padding weight; per_row divides a per-row sum down to a per-element mean).
    Summing over members gives every member of a stacked ensemble its own gradient.
    """
    weight = padding_weight(values, batch)
    norm = weight if row_weight is None else row_weight
    return ((weight * values).sum(-1) / (norm.sum(-1) * per_row)).sum()


def padding_weight(values: torch.Tensor, batch: Batch) -> torch.Tensor:
    """The batch's row weights (all ones outside a stacked ensemble), shaped like ``values``."""
    weight = batch.get("weight")
    return torch.ones_like(values) if weight is None else weight
