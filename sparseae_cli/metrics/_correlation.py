"""Absolute Pearson correlations between the columns of two matrices (shared by metrics)."""

import numpy as np


def abs_correlation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|corr(y[:, i], x[:, j])| for every column i of y and j of x: (y columns x x columns),
    over the rows; a constant column correlates 0 with everything."""
    def standardise(a):
        a = a - a.mean(0)
        norm = np.linalg.norm(a, axis=0)
        return np.divide(a, norm, out=np.zeros_like(a), where=norm > 0)
    return np.abs(standardise(y.astype(np.float64)).T @ standardise(x.astype(np.float64)))
