"""Synthetic image patches with known sources (Pyle's first test: "5x5 image patches created
from 5 basis functions (plus noise)"), so that recovery of the true sources can be scored.

x = sum_k a_k B_k + noise * e, with five fixed 5 x 5 basis images B_k (a horizontal bar, a
vertical bar, the two diagonals and a centre-surround ring, each of unit norm), independent
source coefficients a_k (Laplace by default: sparse, as in sparse coding; ``gaussian`` makes
the sources unidentifiable up to rotation, a control), and Gaussian pixel noise e, all drawn
from ``generator_seed``. The coefficients are the dataset's ``factors`` (saved with the codes as
``factors_test``); the label of a patch is its dominant source, argmax_k |a_k|. The last
``test_fraction`` of the rows is the test split.
"""

from __future__ import annotations

import numpy as np

from ..params import NON_NEGATIVE, Interval, Options
from . import DATASETS
from ._base import Dataset

SIDE = 5
SOURCES = {"laplace": lambda rng, shape: rng.laplace(size=shape),
           "gaussian": lambda rng, shape: rng.normal(size=shape)}
PARAMETERS = {"n_samples": Interval(int, 10, meaning="enough rows for a train and a test part"),
              "noise": NON_NEGATIVE, "source": Options(tuple(SOURCES)),
              "test_fraction": Interval(float, 0, 1, closed="neither"),
              "generator_seed": Interval(int, 0, 2**32 - 1), "n_basis": Interval(int, 2, 5)}


def basis_images() -> np.ndarray:
    """The five 5 x 5 basis images, flattened and of unit norm: (5, 25)."""
    bar_h, bar_v = np.zeros((SIDE, SIDE)), np.zeros((SIDE, SIDE))
    bar_h[SIDE // 2], bar_v[:, SIDE // 2] = 1, 1
    diagonal, anti = np.eye(SIDE), np.fliplr(np.eye(SIDE))
    ring = -np.ones((SIDE, SIDE)) / 4
    ring[1:-1, 1:-1], ring[SIDE // 2, SIDE // 2] = 0, 2
    basis = np.stack([bar_h, bar_v, diagonal, anti, ring]).reshape(5, -1)
    return basis / np.linalg.norm(basis, axis=1, keepdims=True)


@DATASETS.register("patches_synthetic", PARAMETERS)
def load_patches_synthetic(cfg, data_dir) -> Dataset:
    rng = np.random.default_rng(int(cfg.generator_seed))
    basis = basis_images()[: int(cfg.n_basis)]
    n = int(cfg.n_samples)
    sources = SOURCES[str(cfg.source)](rng, (n, len(basis)))
    X = sources @ basis + float(cfg.noise) * rng.normal(size=(n, basis.shape[1]))
    n_test = max(1, int(round(n * float(cfg.test_fraction))))
    return Dataset(
        name="patches_synthetic",
        X=X,
        y=np.abs(sources).argmax(1),
        class_names=[f"source_{k}" for k in range(len(basis))],
        feature_names=[f"px{i}" for i in range(basis.shape[1])],
        image_shape=(1, SIDE, SIDE),
        test_index=np.arange(n - n_test, n),
        kind="image",  # pixels pass through unchanged (no per-feature standardisation)
        source=[f"generated: {len(basis)} basis images, {cfg.source} sources, noise {cfg.noise}, "
                f"seed {cfg.generator_seed}"],
        factors=sources,
    )
