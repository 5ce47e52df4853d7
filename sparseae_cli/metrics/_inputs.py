"""Everything a metric may look at, as numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class EvalInputs:
    code_train: np.ndarray
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
