"""Everything a metric may look at, as numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass
class EvalInputs:
    code_train: np.ndarray | None  # None when eval.train_codes=false
    code_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    proba_test: np.ndarray | None = None  # class probabilities (supervised models)
    x_test: np.ndarray | None = None
    reconstruction_test: np.ndarray | None = None
    # Constrained parameters after training and their masks, by parameter name.
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    feature_names: list[str] = field(default_factory=list)
    first_layer: str | None = None  # name of the parameter whose columns are input features
    # Dictionary models (one-layer decoder): atoms (k x features), bias, output activation.
    atoms: np.ndarray | None = None
    decoder_bias: np.ndarray | None = None
    decoder_activation: str | None = None  # a name in sparseae_cli.activations
    image_shape: tuple | None = None
    x_train: np.ndarray | None = None
    reconstruction_train: np.ndarray | None = None  # None when eval.train_codes=false
    # Denoising runs (train.corruption): the test set corrupted as in training (seeded), and its
    # reconstruction; None otherwise.
    x_test_noisy: np.ndarray | None = None
    reconstruction_test_noisy: np.ndarray | None = None
    # d code / d x at given inputs, (n, k, d): gradient models only (computed on demand: costly).
    jacobians: Callable[[np.ndarray], np.ndarray] | None = None
    # The group index of every code unit (group-sparse codes); None: each unit its own group.
    code_groups: np.ndarray | None = None
    # Latent-variable models: x (n, d), K, seed -> log p(x|z), log p(z), log q(z|x) of K posterior
    # draws per row, each (K, n), and the closed-form KL per row (n,) (models.base.log_weights).
    log_weights: Callable[[np.ndarray, int, int], dict[str, np.ndarray] | None] | None = None
    # The true generative factors of the test rows (generated sets that know them), (n, m).
    factors_test: np.ndarray | None = None
    # The model's decoder: codes (n, k) -> the reconstruction's mean (n, d).
    decode: Callable[[np.ndarray], np.ndarray] | None = None
    # Single-cell runs: a cluster per test row from a model that clusters (-1: unassigned), the
    # test rows' samples of origin (datasets with batches), and an archetypal model's archetypes
    # in input space (k, d); None where absent.
    clusters_test: np.ndarray | None = None
    groups_test: np.ndarray | None = None
    archetypes: np.ndarray | None = None
    seed: int = 0
    options: Any = None  # the eval config (metric settings)
