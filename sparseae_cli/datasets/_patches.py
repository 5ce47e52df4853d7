"""``dataset.patch=P``: an image set cut into random P x P patches (Pyle's CIFAR-10 runs use
12 x 12 grayscale patches), ``dataset.patches_per_image`` from each image.

Patches are drawn by scikit-learn's ``extract_patches_2d`` (uniformly over positions), seeded
by the run's seed; each patch keeps its image's label, sample group and train/test side, so the
official test split stays a split of images (no image gives patches to both sides).
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.image import extract_patches_2d

from ..errors import DataError
from ._base import Dataset


def to_patches(data: Dataset, size: int, per_image: int, seed: int) -> Dataset:
    """``per_image`` random ``size`` x ``size`` patches of every image of ``data``."""
    if data.image_shape is None:
        raise DataError(f"dataset.patch cuts images into patches, but {data.name} is not an image set; "
                        "drop dataset.patch (or set it to null)")
    channels, height, width = _chw(data.image_shape)
    if size > min(height, width):
        raise DataError(f"dataset.patch={size} exceeds {data.name}'s {height}x{width} images; "
                        f"choose dataset.patch <= {min(height, width)}")
    rng = np.random.default_rng(seed)
    images = data.X.reshape(len(data.X), channels, height, width).transpose(0, 2, 3, 1)
    patches = np.stack([extract_patches_2d(image, (size, size), max_patches=per_image,
                                           random_state=int(rng.integers(2**31)))
                        for image in images])  # (n, per_image, size, size, channels)
    patches = patches.reshape(len(images) * per_image, size, size, channels).transpose(0, 3, 1, 2)
    rows = np.repeat(np.arange(len(images)), per_image)  # the image each patch came from
    test_index = None
    if data.test_index is not None:
        is_test = np.zeros(len(images), bool)
        is_test[data.test_index] = True
        test_index = np.flatnonzero(is_test[rows])
    shape = (channels, size, size)
    return Dataset(f"{data.name}_patches{size}", patches.reshape(len(rows), -1), data.y[rows],
                   data.class_names, [f"px{i}" for i in range(int(np.prod(shape)))], shape, test_index,
                   data.kind, data.source, None if data.groups is None else data.groups[rows])


def _chw(shape: tuple[int, ...]) -> tuple[int, int, int]:
    return (1, *shape) if len(shape) == 2 else tuple(shape)
