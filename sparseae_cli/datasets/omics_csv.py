"""Omics tables in the layout of Barlaud's lab (the reference code's TIRO format).

';' separator, ',' decimal mark, features in rows and samples in columns:
row 1 is ``Name`` + sample ids, row 2 is ``Label`` + the class of each sample,
every later row is a feature name followed by its values.
"""

from pathlib import Path

import numpy as np

from ..errors import DataError
from . import DATASETS
from ._base import Dataset
from ._table import read_rows, require_shared_labels, require_unique, to_numbers


def read_omics_csv(path: Path, name: str) -> Dataset:
    rows = read_rows(path, ";", encoding="latin-1")
    if len(rows) < 3 or rows[1][0].strip().lower() != "label":
        raise DataError(f"{path}: row 2 must start with 'Label' and hold the class of each sample")
    labels = [cell.strip() for cell in rows[1][1:]]
    if any(cell == "" for cell in labels):
        raise DataError(f"{path}: row 2 (Label) has an empty cell; every sample needs a class")
    require_shared_labels(labels, path, "row 2 (Label)")
    require_unique([cell.strip() for cell in rows[0][1:]], "the sample id", path)
    require_unique([r[0].strip() for r in rows[2:]], "the feature name", path)
    values = to_numbers([r[1:] for r in rows[2:]], path, first_row=3, decimal=",")
    classes, y = np.unique(labels, return_inverse=True)
    return Dataset(
        name=name, X=values.T, y=y, class_names=[str(c) for c in classes],
        feature_names=[r[0].strip() for r in rows[2:]], kind="omics", source=[str(path)],
    )


@DATASETS.register("omics_csv")
def load_omics_csv(cfg, data_dir: Path) -> Dataset:
    if not cfg.get("path"):
        raise DataError("dataset=omics_csv needs dataset.path=/path/to/table.csv")
    path = Path(str(cfg.path)).expanduser()
    if not path.is_absolute():
        path = data_dir / path
    return read_omics_csv(path, path.stem)
