"""Lung (Mathe et al. 2014): urine metabolomics, 1005 samples x 2944 features, 2 classes.

Not redistributable here: the user supplies ``LUNG.csv`` (omics_csv layout) in the
data directory.
"""

from pathlib import Path

from ..errors import DataError
from . import DATASETS
from .omics_csv import read_omics_csv


@DATASETS.register("lung")
def load_lung(cfg, data_dir: Path):
    for path in (data_dir / "LUNG.csv", data_dir / "lung" / "LUNG.csv"):
        if path.exists():
            return read_omics_csv(path, "lung")
    raise DataError(
        f"missing data file 'LUNG.csv' in {data_dir} (or {data_dir / 'lung'}); it cannot be "
        "downloaded automatically: obtain the Mathe et al. 2014 table in the ';'-separated "
        "layout (see docs/reference.md) and set data_dir=... to its folder"
    )
