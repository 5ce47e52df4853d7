"""Seeded omics-like classification data: few informative features among many.

Built on scikit-learn's ``make_classification`` (informative features are class
clusters, the rest noise); features are shuffled so the informative ones are not
simply the first columns, and their indices are named ``inf_*``.
"""

import numpy as np

from ..params import POSITIVE, POSITIVE_INT, Interval
from . import DATASETS
from ._base import Dataset

PARAMETERS = {"n_samples": POSITIVE_INT, "n_features": POSITIVE_INT, "n_informative": POSITIVE_INT,
              "n_classes": Interval(int, 2, meaning="a classification needs two classes"),
              "class_sep": POSITIVE, "generator_seed": Interval(int, 0, 2**32 - 1)}


@DATASETS.register("synthetic", PARAMETERS)
def load_synthetic(cfg, data_dir) -> Dataset:
    from sklearn.datasets import make_classification  # lazy (registry.py)

    n_features = int(cfg.n_features)
    n_informative = int(cfg.n_informative)
    X, y = make_classification(
        n_samples=int(cfg.n_samples),
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=0,
        n_classes=int(cfg.n_classes),
        n_clusters_per_class=1,
        class_sep=float(cfg.get("class_sep", 1.5)),
        shuffle=False,
        random_state=int(cfg.get("generator_seed", 0)),
    )
    order = np.random.default_rng(int(cfg.get("generator_seed", 0))).permutation(n_features)
    names = np.array([f"inf_{i}" if i < n_informative else f"noise_{i}" for i in range(n_features)])
    return Dataset(
        name="synthetic",
        X=X[:, order],
        y=y,
        class_names=[f"class_{c}" for c in range(int(cfg.n_classes))],
        feature_names=names[order].tolist(),
        kind="omics",
        source=["sklearn.datasets.make_classification"],
    )
