"""A seeded mass-cytometry-like set, for scale: millions of cells, tens of markers.

Each of ``n_populations`` cell types (frequencies from a flat Dirichlet draw) expresses every
marker "on" (arcsinh level about 4) with probability 0.4, else "off" (about 0.5); cells scatter
around their type's levels with standard deviation ``spread`` and are clipped at 0. Values are
generated on the arcsinh(x / 5) scale users train on. With ``n_batches`` > 1 cells are dealt to
batches at random and batch b > 0 shifts every marker by N(0, ``drift``^2) (a seeded
instrument drift), so SAUCIE's MMD term has something to remove.
"""

from __future__ import annotations

import numpy as np

from ..params import NON_NEGATIVE, POSITIVE, POSITIVE_INT, Interval
from . import DATASETS
from ._base import Dataset

PARAMETERS = {"n_cells": POSITIVE_INT, "n_markers": POSITIVE_INT,
              "n_populations": Interval(int, 2, meaning="a clustering needs two cell types"),
              "n_batches": POSITIVE_INT, "drift": NON_NEGATIVE, "spread": POSITIVE,
              "generator_seed": Interval(int, 0, 2**32 - 1)}
ON, OFF = 4.0, 0.5


def generate(n_cells: int, n_markers: int, n_populations: int, n_batches: int = 1,
             drift: float = 0.5, spread: float = 0.5, seed: int = 0):
    """(X float32 (n_cells, n_markers), cell types (n_cells,), batches (n_cells,))."""
    rng = np.random.default_rng(seed)
    levels = np.where(rng.random((n_populations, n_markers)) < 0.4, ON, OFF)
    levels += rng.normal(0, 0.15, levels.shape)
    frequencies = rng.dirichlet(np.ones(n_populations))
    types = rng.choice(n_populations, size=n_cells, p=frequencies)
    batches = rng.integers(0, n_batches, size=n_cells)
    offsets = np.vstack([np.zeros(n_markers), rng.normal(0, drift, (n_batches - 1, n_markers))])
    X = rng.standard_normal((n_cells, n_markers), dtype=np.float32)
    X *= np.float32(spread)
    X += levels[types].astype(np.float32)
    X += offsets[batches].astype(np.float32)
    np.maximum(X, 0, out=X)
    return X, types, batches


@DATASETS.register("cytof_synthetic", PARAMETERS)
def load_cytof_synthetic(cfg, data_dir) -> Dataset:
    n_batches = int(cfg.n_batches)
    X, types, batches = generate(int(cfg.n_cells), int(cfg.n_markers), int(cfg.n_populations), n_batches,
                                 float(cfg.drift), float(cfg.spread), int(cfg.generator_seed))
    return Dataset(name="cytof_synthetic", X=X, y=types,
                   class_names=[f"type_{c}" for c in range(int(cfg.n_populations))],
                   feature_names=[f"marker_{m}" for m in range(int(cfg.n_markers))], kind="omics",
                   source=["sparseae_cli.datasets.cytof_synthetic"],
                   groups=batches if n_batches > 1 else None)
