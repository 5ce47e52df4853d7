"""The one interface every dataset returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Dataset:
    """Features, labels and metadata.

    ``test_index`` holds the official test split of image sets; when it is None the
    runner uses stratified k-fold cross-validation (omics and tabular sets). ``groups``
    is an optional per-row integer label of the batch or sample each row came from (single-
    cell runs, flow-cytometry files): subsets and splits carry it, and training batches hold
    it as ``group``.
    """

    name: str
    X: np.ndarray  # (n, d) float32
    y: np.ndarray  # (n,) int64 in 0..k-1
    class_names: list[str]
    feature_names: list[str]
    image_shape: tuple[int, ...] | None = None
    test_index: np.ndarray | None = None
    kind: str = "tabular"  # "image", "omics" or "tabular": selects the preprocessing
    source: list[str] = field(default_factory=list)  # files read, for the run record
    groups: np.ndarray | None = None  # (n,) int64 sample of origin, or None
    # (n, m) the true generative factors of each row, for generated sets that know them
    # (patches_synthetic's source coefficients); metrics score how well codes recover them.
    factors: np.ndarray | None = None
    # False when no labels were given (single-cell files without cell types): y is all 0 and
    # only label-free metrics (cluster counts, batch mixing, reconstruction) mean anything.
    labelled: bool = True

    def __post_init__(self) -> None:
        self.X = np.ascontiguousarray(self.X, dtype=np.float32)
        self.y = np.asarray(self.y, dtype=np.int64)
        if self.X.ndim != 2 or len(self.X) != len(self.y):
            raise ValueError(f"{self.name}: X must be (n, d) with n labels")
        if self.groups is not None:
            self.groups = np.asarray(self.groups, dtype=np.int64)
            if self.groups.shape != self.y.shape:
                raise ValueError(f"{self.name}: groups must hold one label per row")
        if self.factors is not None and (self.factors.ndim != 2 or len(self.factors) != len(self.y)):
            raise ValueError(f"{self.name}: factors must be (n, m), one row per sample")

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def subset(self, max_samples: int | None, seed: int = 0) -> Dataset:
        """A stratified-ish random subset (keeps the official split proportions)."""
        if not max_samples or max_samples >= len(self.y):
            return self
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(self.y), size=max_samples, replace=False))
        test_index = None
        if self.test_index is not None:
            is_test = np.zeros(len(self.y), bool)
            is_test[self.test_index] = True
            test_index = np.nonzero(is_test[keep])[0]
        return Dataset(self.name, self.X[keep], self.y[keep], self.class_names,
                       self.feature_names, self.image_shape, test_index, self.kind, self.source,
                       None if self.groups is None else self.groups[keep],
                       None if self.factors is None else self.factors[keep], self.labelled)

    def columns(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The named per-row arrays of ``rows`` other than the features: ``y``, and ``group``
        when the dataset has groups (training batches carry them by these names)."""
        named = {"y": self.y[rows]}
        if self.groups is not None:
            named["group"] = self.groups[rows]
        return named
