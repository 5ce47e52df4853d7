"""MNIST (LeCun et al. 1998): 60,000 + 10,000 handwritten digits, 28x28."""

from pathlib import Path

from . import DATASETS
from ._idx_images import load_idx_dataset

MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
# md5 of the decompressed IDX files (the official .gz files decompress to these).
MD5 = {
    "train_images": "6bbc9ace898e44ae57da46a324031adb",
    "train_labels": "a25bea736e30d166cdddb491f175f624",
    "test_images": "2646ac647ad5339dbf082846283269ea",
    "test_labels": "27ae3e4e09519cfbb04c329615203637",
}


@DATASETS.register("mnist")
def load_mnist(cfg, data_dir: Path):
    return load_idx_dataset(
        "mnist", data_dir / "mnist", MIRRORS, MD5, [str(i) for i in range(10)],
        download=cfg.get("download", True),
    )
