"""Fashion-MNIST (Xiao et al. 2017): 60,000 + 10,000 clothing images, 28x28."""

from pathlib import Path

from . import DATASETS
from ._idx_images import load_idx_dataset

MIRRORS = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
# md5 of the decompressed IDX files, so re-compressed mirrors (e.g. Debian's) pass.
MD5 = {
    "train_images": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train_labels": "9018921c3c673c538a1fc5bad174d6f9",
    "test_images": "8181f5470baa50b63fa0f6fddb340f0a",
    "test_labels": "15d484375f8d13e6eb1aabb0c3f46965",
}
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


@DATASETS.register("fashion_mnist")
def load_fashion_mnist(cfg, data_dir: Path):
    return load_idx_dataset(
        "fashion_mnist", data_dir / "fashion-mnist", MIRRORS, MD5, CLASSES,
        download=cfg.get("download", True),
    )
