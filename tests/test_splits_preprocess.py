"""Splits and preprocessing: stratified, seeded, fitted on the training part only."""

import numpy as np
import pytest
from omegaconf import OmegaConf

from sparseae_cli.datasets import Dataset
from sparseae_cli.errors import DataError
from sparseae_cli.preprocess import fit_transform
from sparseae_cli.splits import make_splits


def toy(n=40, classes=4) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset("toy", rng.normal(size=(n, 3)), np.arange(n) % classes, [str(c) for c in range(classes)],
                   ["a", "b", "c"], kind="omics")


def test_stratified_folds_cover_every_sample_once_per_seed():
    splits = make_splits(toy(), folds=4, seeds=[1, 2])
    assert len(splits) == 8
    for seed in (1, 2):
        tests = np.concatenate([s.test for s in splits if s.seed == seed])
        np.testing.assert_array_equal(np.sort(tests), np.arange(40))
    for s in splits:
        assert set(np.bincount(toy().y[s.test])) <= {2, 3}  # 10 per class over 4 folds
        assert not set(s.train) & set(s.test)
    a, b = make_splits(toy(), 4, [1]), make_splits(toy(), 4, [1])
    assert all(np.array_equal(x.test, y.test) for x, y in zip(a, b))


def test_official_split_is_used_when_present():
    data = toy()
    data.test_index = np.arange(30, 40)
    (split,) = make_splits(data, folds=4, seeds=[0])
    np.testing.assert_array_equal(split.test, np.arange(30, 40))


def test_too_few_samples_for_folds():
    data = toy(n=8, classes=4)  # 2 per class
    with pytest.raises(DataError, match="too few for 4-fold"):
        make_splits(data, folds=4, seeds=[0])


def test_standardisation_uses_training_statistics_only():
    rng = np.random.default_rng(3)
    train, test = rng.normal(5, 2, (50, 4)), rng.normal(-3, 1, (20, 4))
    cfg = OmegaConf.create({"log": False, "standardize": True, "scale": True})
    a, b = fit_transform(train, test, "omics", cfg)
    np.testing.assert_allclose(a.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(a.std(0), 1, atol=1e-5)
    np.testing.assert_allclose(b, (test - train.mean(0)) / train.std(0), rtol=1e-4)


def test_log_transform_and_its_guard():
    cfg = OmegaConf.create({"log": True, "standardize": False})
    a, _ = fit_transform(np.array([[0.0, 1.0]]), np.array([[3.0, 7.0]]), "omics", cfg)
    np.testing.assert_allclose(a, [[0.0, np.log(2.0)]], rtol=1e-6)
    with pytest.raises(DataError, match="log"):
        fit_transform(np.array([[-1.0, 1.0]]), np.array([[0.0, 0.0]]), "omics", cfg)


def test_images_pass_through():
    x = np.random.default_rng(0).random((5, 4)).astype(np.float32)
    a, b = fit_transform(x, x, "image", OmegaConf.create({"standardize": True}))
    assert a is x and b is x
