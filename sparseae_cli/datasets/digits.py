"""scikit-learn's bundled 8x8 digits (1,797 images): the default, needs no download."""


from . import DATASETS
from ._base import Dataset


@DATASETS.register("digits")
def load_sklearn_digits(cfg, data_dir) -> Dataset:
    from sklearn.datasets import load_digits  # lazy (registry.py)

    bunch = load_digits()
    return Dataset(
        name="digits",
        X=bunch.data / 16.0,
        y=bunch.target,
        class_names=[str(c) for c in bunch.target_names],
        feature_names=[f"px{i}" for i in range(bunch.data.shape[1])],
        image_shape=(1, 8, 8),
        kind="image",
        source=["sklearn.datasets.load_digits"],
    )
