"""Olsson et al. 2016 single-cell RNA-seq ("Ohlson" in Barlaud & Guyard 2021).

382 cells x 532 genes, 9 cell types, as preprocessed for Poincare maps
(Klimovskaia et al. 2019): comma-separated, one row per cell, header of gene
names, last column ``labels`` with the cell type. Already log-scaled.
"""

from pathlib import Path

import numpy as np

from ..errors import DataError
from . import DATASETS
from ._base import Dataset
from ._files import require_file
from ._table import read_rows, require_shared_labels, require_unique, to_numbers

URL = "https://raw.githubusercontent.com/facebookresearch/PoincareMaps/main/datasets/Olsson.csv"
MD5 = "2fead2587db5dcebfff8a67c8af274fc"


def read_labelled_table(path: Path, name: str, label_column: str = "labels") -> Dataset:
    """Rows = samples, header = feature names, last column = class label (string)."""
    rows = read_rows(path, ",")
    header = rows[0]
    if header[-1] != label_column:
        raise DataError(f"{path}: the last header cell must be '{label_column}', got {header[-1]!r}")
    require_unique(header[:-1], "the header's feature name", path)
    body = [r for r in rows[1:] if r[-1] != "root"]  # the reference drops 'root' cells
    X = to_numbers([r[:-1] for r in body], path, first_row=2)
    require_shared_labels([r[-1] for r in body], path, f"the '{label_column}' column")
    classes, y = np.unique([r[-1] for r in body], return_inverse=True)
    return Dataset(
        name=name, X=X, y=y, class_names=[str(c) for c in classes],
        feature_names=header[:-1], kind="omics", source=[str(path)],
    )


@DATASETS.register("ohlson")
def load_ohlson(cfg, data_dir: Path) -> Dataset:
    path = require_file(data_dir / "ohlson", "Olsson.csv", [URL], MD5,
                        download=cfg.get("download", True))
    return read_labelled_table(path, "ohlson")
