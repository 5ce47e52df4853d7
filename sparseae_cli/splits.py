"""Train/test splits: the official split of image sets, stratified k-fold for the rest, or
(``split.folds=1``) none at all: clustering and embedding runs fit and score every sample, as
single-cell tools (SAUCIE, Leiden) do."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from .datasets import Dataset
from .errors import DataError


@dataclass(frozen=True)
class Split:
    seed: int
    fold: int  # 0-based; 0 for the official split
    train: np.ndarray
    test: np.ndarray


def make_splits(data: Dataset, folds: int, seeds: list[int]) -> list[Split]:
    """One split per (seed, fold); the official test split when the dataset has one."""
    if data.test_index is not None:
        is_test = np.zeros(len(data.y), dtype=bool)
        is_test[data.test_index] = True
        return [Split(s, 0, np.nonzero(~is_test)[0], np.nonzero(is_test)[0]) for s in seeds]
    if folds == 1:  # transductive: the model is fitted on, and scored on, every sample
        every = np.arange(len(data.y))
        return [Split(s, 0, every, every) for s in seeds]
    smallest = int(np.bincount(data.y).min())
    if folds < 1:
        raise DataError(f"split.folds must be 1 (no held-out part) or k >= 2 folds, got {folds}")
    if smallest < folds:
        raise DataError(
            f"{data.name}: the smallest class has {smallest} samples, too few for "
            f"{folds}-fold cross-validation; lower split.folds or supply more samples"
        )
    splits = []
    for seed in seeds:
        kfold = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for fold, (train, test) in enumerate(kfold.split(data.X, data.y)):
            splits.append(Split(seed, fold, train, test))
    return splits
