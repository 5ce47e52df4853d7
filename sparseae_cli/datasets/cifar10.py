"""CIFAR-10 (Krizhevsky 2009), binary version: records of 1 label byte + 3x32x32 pixels.

The record count comes from each file's size, so a partial set (fewer batches, or a
truncated test batch) loads what is there.
"""

import tarfile
from pathlib import Path

import numpy as np

from ..errors import DataError
from . import DATASETS
from ._base import Dataset
from ._files import require_file

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck"]
RECORD = 1 + 3 * 32 * 32


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % RECORD:
        raise DataError(
            f"{path}: size {raw.size} is not a multiple of the {RECORD}-byte CIFAR-10 record; "
            "supply the official binary batch"
        )
    records = raw.reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise DataError(f"{path}: label {labels.max()} outside 0..9; not a CIFAR-10 batch")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def batch_folder(cfg, data_dir: Path) -> Path:
    folder = data_dir / "cifar10" / "cifar-10-batches-bin"
    if not (folder / "test_batch.bin").exists() and cfg.get("download", True):
        archive = require_file(data_dir / "cifar10", "cifar-10-binary.tar.gz", [URL], ARCHIVE_MD5)
        with tarfile.open(archive) as tar:
            tar.extractall(data_dir / "cifar10", filter="data")
    return folder


@DATASETS.register("cifar10")
def load_cifar10(cfg, data_dir: Path) -> Dataset:
    folder = batch_folder(cfg, data_dir)
    train_files = sorted(folder.glob("data_batch_*.bin"))
    test_file = folder / "test_batch.bin"
    if not train_files or not test_file.exists():
        raise DataError(
            f"CIFAR-10 batches missing in {folder}: need data_batch_*.bin and test_batch.bin; "
            f"download {URL}, extract it under {data_dir / 'cifar10'}, or set data_dir=..."
        )
    parts = [read_cifar_batch(p) for p in train_files + [test_file]]
    images = np.concatenate([p[0] for p in parts]).astype(np.float32) / 255.0
    labels = np.concatenate([p[1] for p in parts])
    n_test = len(parts[-1][1])
    if cfg.get("grayscale", False):
        # ITU-R BT.601 luma, as in PIL's convert("L").
        images = np.tensordot(images, np.array([0.299, 0.587, 0.114], np.float32), axes=([1], [0]))
        images = images[:, None]
    shape = images.shape[1:]
    return Dataset(
        name="cifar10",
        X=images.reshape(len(images), -1),
        y=labels,
        class_names=CLASSES,
        feature_names=[f"px{i}" for i in range(int(np.prod(shape)))],
        image_shape=tuple(shape),
        test_index=np.arange(len(labels) - n_test, len(labels)),
        kind="image",
        source=[str(p) for p in train_files + [test_file]],
    )
