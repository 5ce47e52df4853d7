"""AnnData files (``.h5ad``), the single-cell field's exchange format (scanpy, CELLxGENE).

Cells are rows; ``layer`` picks ``adata.layers[layer]`` instead of ``adata.X``; ``label_key``
names the ``obs`` column of cell types (null: unlabelled, only label-free metrics apply) and
``batch_key`` the column of samples of origin (SAUCIE's batches for its MMD term).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError
from ..params import POSITIVE, Options
from . import DATASETS
from ._base import Dataset
from ._single_cell import categories, user_path

PARAMETERS = {"transform": Options(("none", "arcsinh")), "cofactor": POSITIVE.means("arcsinh(x / cofactor)")}


def _read(path: Path):
    try:
        import anndata
    except ImportError:
        raise DataError("dataset=h5ad needs the anndata package: pip install 'sparseae[singlecell]'") from None
    try:
        return anndata.read_h5ad(path)
    except Exception as exc:  # h5py and anndata raise many kinds on a file that is not AnnData
        raise DataError(f"{path}: not a readable AnnData file ({type(exc).__name__}: {exc})") from None


def _column(adata, key: str | None, what: str, path: Path) -> np.ndarray | None:
    if key is None:
        return None
    if key not in adata.obs:
        raise DataError(f"{path}: obs has no column '{key}' for dataset.{what}; it has: "
                        f"{', '.join(map(str, adata.obs.columns)) or 'none'}")
    return adata.obs[key].astype(str).to_numpy()


def _matrix(adata, layer: str | None, path: Path) -> np.ndarray:
    from scipy import sparse  # lazy (registry.py)

    if layer is not None and layer not in adata.layers:
        raise DataError(f"{path}: no layer '{layer}' (dataset.layer); it has: "
                        f"{', '.join(adata.layers.keys()) or 'none'} (null: adata.X)")
    matrix = adata.X if layer is None else adata.layers[layer]
    dense = matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)
    if not np.isfinite(dense).all():
        raise DataError(f"{path}: the expression matrix holds NaN or infinite values; clean them first")
    return dense


@DATASETS.register("h5ad", PARAMETERS)
def load_h5ad(cfg, data_dir: Path) -> Dataset:
    path = user_path(cfg, data_dir, "h5ad", "cells.h5ad")
    adata = _read(path)
    labels = _column(adata, cfg.get("label_key"), "label_key", path)
    batches = _column(adata, cfg.get("batch_key"), "batch_key", path)
    X = _matrix(adata, cfg.get("layer"), path)
    if cfg.get("transform", "none") == "arcsinh":
        X = np.arcsinh(X / float(cfg.cofactor))
    class_names, y = categories(labels, len(X))
    groups = None if batches is None else categories(batches, len(X))[1]
    return Dataset(name=path.stem, X=X, y=y, class_names=class_names,
                   feature_names=[str(v) for v in adata.var_names], kind="omics",
                   source=[str(path)], groups=groups, labelled=labels is not None)
