"""Shared loader for the MNIST-style image sets (four IDX files, official split)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError
from ._base import Dataset
from ._files import require_file
from ._idx import find_idx, read_idx

STEMS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def load_idx_dataset(
    name: str,
    folder: Path,
    mirrors: list[str],
    md5_decompressed: dict[str, str],
    class_names: list[str],
    download: bool,
) -> Dataset:
    arrays = {}
    for key, stem in STEMS.items():
        path = find_idx(folder, stem) or require_file(
            folder, stem + ".gz", [m + stem + ".gz" for m in mirrors],
            md5_decompressed[key], md5_decompressed=True, download=download,
        )
        arrays[key] = read_idx(path)
        arrays[key + "_path"] = str(path)
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1:
            raise DataError(
                f"{name}: {arrays[split + '_images_path']} must hold images (3 dimensions) and "
                f"{arrays[split + '_labels_path']} labels (1 dimension), got {images.ndim} and {labels.ndim}; "
                "are the images and labels files swapped?"
            )
        if labels.size and (labels.min() < 0 or labels.max() >= len(class_names)):
            raise DataError(
                f"{name}: labels in {arrays[split + '_labels_path']} must be 0-{len(class_names) - 1}, "
                f"found {int(labels.min())}-{int(labels.max())}; supply the official file"
            )
        if len(images) != len(labels):
            raise DataError(
                f"{name}: {len(images)} {split} images but {len(labels)} labels in {folder}; "
                "supply matching official files"
            )
    images = np.concatenate([arrays["train_images"], arrays["test_images"]])
    labels = np.concatenate([arrays["train_labels"], arrays["test_labels"]])
    n_train = len(arrays["train_labels"])
    height, width = images.shape[1:]
    return Dataset(
        name=name,
        X=images.reshape(len(images), -1).astype(np.float32) / 255.0,
        y=labels.astype(np.int64),
        class_names=class_names,
        feature_names=[f"px{i}" for i in range(height * width)],
        image_shape=(1, height, width),
        test_index=np.arange(n_train, len(labels)),
        kind="image",
        source=[arrays[k + "_path"] for k in STEMS],
    )
