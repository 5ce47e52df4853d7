"""What the single-cell readers (h5ad, fcs) share: the user's path and categorical columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError


def user_path(cfg, data_dir: Path, dataset: str, example: str) -> Path:
    """``dataset.path``, absolute or relative to the data directory; it must exist."""
    if not cfg.get("path"):
        raise DataError(f"dataset={dataset} needs dataset.path=/path/to/{example}")
    path = Path(str(cfg.path)).expanduser()
    path = path if path.is_absolute() else data_dir / path
    if not path.is_file():
        raise DataError(f"data file not found: {path}; check dataset.path (relative paths start at data_dir)")
    return path


def categories(values: np.ndarray | None, n: int) -> tuple[list[str], np.ndarray]:
    """(sorted names, integer codes) of a categorical column; None: one class 'unlabelled'."""
    if values is None:
        return ["unlabelled"], np.zeros(n, dtype=np.int64)
    names, codes = np.unique(values, return_inverse=True)
    return [str(v) for v in names], codes.astype(np.int64)
