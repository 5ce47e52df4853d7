"""Feature preprocessing, fitted on the training part only."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler

from .errors import DataError


def fit_transform(X_train: np.ndarray, X_test: np.ndarray, kind: str, cfg) -> tuple:
    """Return (X_train, X_test) preprocessed for a dataset of the given ``kind``.

    Images are already in [0, 1] and pass through, unless ``center_images``: then the
    training set's mean image is subtracted from both parts (Theodosis & Ba's preparation
    for the group-sparse AE). Omics follow the reference code:
    optional log(|x + 1|), then per-feature centring and (optionally) scaling,
    with statistics from the training part only (the reference fits on all data).
    """
    if kind == "image":
        if not cfg.get("center_images", False):
            return X_train, X_test
        mean_image = X_train.mean(axis=0, dtype=np.float64).astype(np.float32)
        return X_train - mean_image, X_test - mean_image
    if not cfg.get("standardize", True) and not cfg.get("log", False):
        return X_train, X_test
    if cfg.get("log", False):
        if (X_train <= -1).any() or (X_test <= -1).any():
            raise DataError(
                "preprocess.log=true needs every value > -1 (log|x+1| would be -inf); "
                "set preprocess.log=false for data that is already log-scaled"
            )
        X_train, X_test = np.log(np.abs(X_train + 1)), np.log(np.abs(X_test + 1))
    if cfg.get("standardize", True):
        scaler = StandardScaler(with_std=cfg.get("scale", True)).fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    return X_train.astype(np.float32), X_test.astype(np.float32)
