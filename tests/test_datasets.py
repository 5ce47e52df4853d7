"""Loaders on tiny files written in each format, malformed inputs, and the download code."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from sparseae_cli.datasets import DATASETS
from sparseae_cli.datasets._files import require_file
from sparseae_cli.datasets._idx import read_idx
from sparseae_cli.datasets.cifar10 import RECORD
from sparseae_cli.errors import DataError

from .conftest import needs_shared

NO_DOWNLOAD = OmegaConf.create({"download": False})


def write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape
    )
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)


def make_idx_set(folder: Path, n_train=6, n_test=4, compress=True) -> tuple:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    parts = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for stem, array in parts.items():
        write_idx(folder / (stem + (".gz" if compress else "")), array, compress)
    return parts


@pytest.mark.parametrize("compress", [True, False])
def test_idx_reader_roundtrip(tmp_path, compress):
    parts = make_idx_set(tmp_path / "mnist", compress=compress)
    data = DATASETS.get("mnist")(NO_DOWNLOAD, tmp_path)
    assert data.X.shape == (10, 784) and data.image_shape == (1, 28, 28)
    np.testing.assert_allclose(data.X[0], parts["train-images-idx3-ubyte"][0].ravel() / 255.0)
    np.testing.assert_array_equal(data.y[6:], parts["t10k-labels-idx1-ubyte"])
    np.testing.assert_array_equal(data.test_index, np.arange(6, 10))
    assert 0.0 <= data.X.min() and data.X.max() <= 1.0


def test_idx_reader_rejects_truncated_and_bad_magic(tmp_path):
    good = tmp_path / "x-idx1-ubyte"
    write_idx(good, np.arange(10), compress=False)
    good.write_bytes(good.read_bytes()[:-3])
    with pytest.raises(DataError, match="truncated"):
        read_idx(good)
    bad = tmp_path / "y-idx1-ubyte"
    bad.write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(DataError, match="magic"):
        read_idx(bad)


def test_missing_image_files_name_file_and_folder(tmp_path):
    with pytest.raises(DataError) as info:
        DATASETS.get("fashion_mnist")(NO_DOWNLOAD, tmp_path)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path) in message
    assert "data_dir" in message


def write_cifar(path: Path, labels: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
    records = np.concatenate([labels[:, None].astype(np.uint8), pixels], axis=1)
    path.write_bytes(records.tobytes())
    return pixels


def test_cifar_partial_set_and_grayscale(tmp_path):
    folder = tmp_path / "cifar10" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    pixels = write_cifar(folder / "data_batch_1.bin", np.array([0, 3, 9]))
    write_cifar(folder / "test_batch.bin", np.array([1, 2]))
    data = DATASETS.get("cifar10")(NO_DOWNLOAD, tmp_path)
    assert data.X.shape == (5, 3072) and data.image_shape == (3, 32, 32)
    np.testing.assert_array_equal(data.y, [0, 3, 9, 1, 2])
    np.testing.assert_allclose(data.X[0], pixels[0] / 255.0, rtol=1e-6)
    gray = DATASETS.get("cifar10")(OmegaConf.create({"download": False, "grayscale": True}), tmp_path)
    expected = (0.299 * pixels[0, :1024] + 0.587 * pixels[0, 1024:2048]
                + 0.114 * pixels[0, 2048:]) / 255.0
    assert gray.image_shape == (1, 32, 32)
    np.testing.assert_allclose(gray.X[0], expected, rtol=1e-5)


def test_cifar_full_layout_reads_every_training_batch_then_the_test_batch(tmp_path):
    """The official set: data_batch_1..5 and test_batch (the shared data holds only batch 1)."""
    folder = tmp_path / "cifar10" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    for b in range(1, 6):
        write_cifar(folder / f"data_batch_{b}.bin", np.array([b, b]))
    write_cifar(folder / "test_batch.bin", np.array([0, 7, 8]))
    data = DATASETS.get("cifar10")(NO_DOWNLOAD, tmp_path)
    np.testing.assert_array_equal(data.y, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0, 7, 8])
    np.testing.assert_array_equal(data.test_index, [10, 11, 12])


def test_cifar_rejects_wrong_size(tmp_path):
    folder = tmp_path / "cifar10" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    (folder / "data_batch_1.bin").write_bytes(b"\x00" * (RECORD + 5))
    (folder / "test_batch.bin").write_bytes(b"\x00" * RECORD)
    with pytest.raises(DataError, match="not a multiple"):
        DATASETS.get("cifar10")(NO_DOWNLOAD, tmp_path)


def write_olsson(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\r".join(rows))  # the shared file uses CR line ends


def test_olsson_reader(tmp_path):
    write_olsson(tmp_path / "ohlson" / "Olsson.csv",
                 ["g1,g2,labels", "1.5,-2,Mono", "0,3.25,HSPC-1", "1,1,Mono"])
    data = DATASETS.get("ohlson")(NO_DOWNLOAD, tmp_path)
    assert data.feature_names == ["g1", "g2"] and data.class_names == ["HSPC-1", "Mono"]
    np.testing.assert_allclose(data.X, [[1.5, -2], [0, 3.25], [1, 1]])
    np.testing.assert_array_equal(data.y, [1, 0, 1])


@pytest.mark.parametrize(
    "rows, fragment",
    [
        (["g1,g2,labels", "1,2,A", "1,B"], "row 3 has 2 cells"),
        (["g1,g2,labels", "1,2,A", "1,abc,B"], "row 3, column 3: 'abc'"),
        (["g1,g2,labels", "1,nan,A", "1,2,B"], "row 2, column 3: 'nan'"),
        (["g1,g2,cls", "1,2,A"], "last header cell must be 'labels'"),
        (["g1,g1,labels", "1,2,A", "1,2,B"], "feature name 'g1' appears more than once"),
        (["g1,g2,labels", "1,2,c1", "1,2,c2", "1,3,c3"], "gives each of the 3 samples its own class"),
    ],
)
def test_olsson_malformed(tmp_path, rows, fragment):
    path = tmp_path / "ohlson" / "Olsson.csv"
    write_olsson(path, rows)
    with pytest.raises(DataError) as info:
        DATASETS.get("ohlson")(NO_DOWNLOAD, tmp_path)
    assert fragment in str(info.value) and str(path) in str(info.value)


def write_omics(path: Path, X: np.ndarray, labels, names=None) -> None:
    """The lab's layout: ';' separator, ',' decimal mark, features in rows."""
    n, d = X.shape
    lines = ["Name;" + ";".join(f"s{i}" for i in range(n)),
             "Label;" + ";".join(str(v) for v in labels)]
    for j in range(d):
        name = names[j] if names else f"feat{j}"
        lines.append(name + ";" + ";".join(f"{v:.6f}".replace(".", ",") for v in X[:, j]))
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


def test_omics_csv_and_lung_reader(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(12, 5))
    labels = [1, 2] * 6
    write_omics(tmp_path / "LUNG.csv", X, labels)
    data = DATASETS.get("lung")(OmegaConf.create({}), tmp_path)
    assert data.X.shape == (12, 5) and data.feature_names[0] == "feat0"
    np.testing.assert_allclose(data.X, X, atol=1e-6)
    np.testing.assert_array_equal(data.y, [0, 1] * 6)
    same = DATASETS.get("omics_csv")(OmegaConf.create({"path": "LUNG.csv"}), tmp_path)
    np.testing.assert_array_equal(same.X, data.X)


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda lines: lines[:1] + lines[2:], "row 2 must start with 'Label'"),
        (lambda lines: lines[:3] + [lines[3] + ";1,0"], "row 4 has"),
        (lambda lines: lines[:2] + [lines[2].replace("0,", "x0,", 1)] + lines[3:], "row 3"),
        (lambda lines: lines[:2] + ["f;" + ";".join(["NaN"] * 4)] + lines[3:], "'NaN'"),
        (lambda lines: [lines[0].replace("s1", "s0")] + lines[1:], "sample id 's0' appears more than once"),
        (lambda lines: lines[:3] + [lines[3].replace("feat1", "feat0")] + lines[4:],
         "feature name 'feat0' appears more than once"),
        (lambda lines: [lines[0], lines[0].replace("Name", "Label")] + lines[2:],
         "gives each of the 4 samples its own class"),
    ],
)
def test_omics_csv_malformed(tmp_path, mutate, fragment):
    path = tmp_path / "bad.csv"
    write_omics(path, np.ones((4, 3)) * 0.5, [1, 1, 2, 2])
    path.write_text("\n".join(mutate(path.read_text().splitlines())) + "\n")
    with pytest.raises(DataError) as info:
        DATASETS.get("omics_csv")(OmegaConf.create({"path": str(path)}), tmp_path)
    assert fragment in str(info.value) and "bad.csv" in str(info.value)


def test_a_byte_order_mark_is_dropped_and_a_directory_refused(tmp_path):
    path = tmp_path / "ohlson" / "Olsson.csv"
    write_olsson(path, ["Dusp2,g2,labels", "1,2,A", "1,3,A", "2,2,B"])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert DATASETS.get("ohlson")(NO_DOWNLOAD, tmp_path).feature_names == ["Dusp2", "g2"]
    omics = tmp_path / "bom.csv"
    write_omics(omics, np.ones((4, 2)), [1, 1, 2, 2], names=["Dusp2", "g2"])
    omics.write_bytes(b"\xef\xbb\xbf" + omics.read_bytes())
    assert DATASETS.get("omics_csv")(OmegaConf.create({"path": str(omics)}), tmp_path).X.shape == (4, 2)
    path.unlink()
    path.mkdir()
    with pytest.raises(DataError, match="is not a file"):
        DATASETS.get("ohlson")(NO_DOWNLOAD, tmp_path)
    omics.unlink()
    omics.mkdir()
    with pytest.raises(DataError, match="is a directory, not a data file"):
        DATASETS.get("omics_csv")(OmegaConf.create({"path": str(omics)}), tmp_path)


def test_lung_missing_says_how_to_supply(tmp_path):
    with pytest.raises(DataError) as info:
        DATASETS.get("lung")(OmegaConf.create({}), tmp_path)
    assert "LUNG.csv" in str(info.value) and str(tmp_path) in str(info.value)


def test_download_checks_decompressed_content(tmp_path):
    payload = b"IDX content" * 100
    md5 = hashlib.md5(payload).hexdigest()
    source = tmp_path / "mirror" / "file.gz"
    source.parent.mkdir()
    source.write_bytes(gzip.compress(payload, compresslevel=1))  # a re-compressed mirror
    got = require_file(tmp_path / "data", "file.gz", [source.as_uri()], md5, md5_decompressed=True)
    assert gzip.decompress(got.read_bytes()) == payload
    # A wrong checksum leaves nothing behind and says why.
    with pytest.raises(DataError, match="checksum mismatch"):
        require_file(tmp_path / "data2", "file.gz", [source.as_uri()], "0" * 32, md5_decompressed=True)
    assert not any((tmp_path / "data2").iterdir())


def test_synthetic_is_seeded_and_shaped():
    cfg = OmegaConf.create({"n_samples": 60, "n_features": 40, "n_informative": 4,
                            "n_classes": 3, "generator_seed": 7})
    a, b = DATASETS.get("synthetic")(cfg, None), DATASETS.get("synthetic")(cfg, None)
    assert a.X.shape == (60, 40) and a.n_classes == 3
    np.testing.assert_array_equal(a.X, b.X)
    assert sum(name.startswith("inf_") for name in a.feature_names) == 4


def test_digits_needs_no_download():
    data = DATASETS.get("digits")(OmegaConf.create({}), None)
    assert data.X.shape == (1797, 64) and data.n_classes == 10 and data.X.max() <= 1.0


@needs_shared("mnist", "train-images-idx3-ubyte.gz")
def test_shared_mnist(data_dir):
    data = DATASETS.get("mnist")(NO_DOWNLOAD, data_dir)
    assert data.X.shape == (70000, 784) and len(data.test_index) == 10000
    assert np.bincount(data.y).min() > 6000


@needs_shared("fashion-mnist", "train-images-idx3-ubyte.gz")
def test_shared_fashion_mnist_checksums(data_dir):
    from sparseae_cli.datasets._files import md5_of
    from sparseae_cli.datasets.fashion_mnist import MD5

    folder = data_dir / "fashion-mnist"
    assert md5_of(folder / "t10k-labels-idx1-ubyte.gz", decompress=True) == MD5["test_labels"]


@needs_shared("cifar10", "cifar-10-batches-bin", "test_batch.bin")
def test_shared_partial_cifar(data_dir):
    data = DATASETS.get("cifar10")(NO_DOWNLOAD, data_dir)
    assert data.X.shape == (11000, 3072) and len(data.test_index) == 1000


@needs_shared("ohlson", "Olsson.csv")
def test_shared_ohlson(data_dir):
    data = DATASETS.get("ohlson")(NO_DOWNLOAD, data_dir)
    assert data.X.shape == (382, 532) and data.n_classes == 9
    assert dict(zip(data.class_names, np.bincount(data.y)))["Mono"] == 95


def test_groups_follow_subsets_splits_and_batches():
    """A per-row sample of origin travels with its rows: subset, split columns, (stacked) batches."""
    import torch

    from sparseae_cli.datasets import Dataset
    from sparseae_cli.training.ensemble import StackedBatches
    from sparseae_cli.training.loop import Batches

    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    data = Dataset("toy", X, np.arange(20) % 2, ["a", "b"], ["f0", "f1"], groups=np.arange(20) // 5)
    small = data.subset(12, seed=3)
    np.testing.assert_array_equal(small.groups, (small.X[:, 0] // 2).astype(int) // 5)  # row i had group i // 5
    rows = np.array([1, 7, 18])
    assert data.columns(rows)["group"].tolist() == [0, 1, 3] and "group" not in Dataset(
        "toy", X, np.arange(20) % 2, ["a", "b"], ["f0", "f1"]).columns(rows)
    named = data.columns(np.arange(20))
    columns = {"x": torch.from_numpy(X), **{k: torch.from_numpy(v) for k, v in named.items()}}
    for batch, _ in Batches(columns, 8, torch.Generator().manual_seed(0)).epoch():
        torch.testing.assert_close(batch["group"], (batch["x"][:, 0] // 2).long() // 5)
    short = {k: v[:13] for k, v in columns.items()}
    for batch, ctx in StackedBatches([columns, short], 8, [torch.Generator(), torch.Generator()]).epoch():
        real = batch["weight"][1] > 0
        assert real.sum() == ctx.rows[1]
        torch.testing.assert_close(batch["group"][1][real], (batch["x"][1][real][:, 0] // 2).long() // 5)
    with pytest.raises(ValueError, match="one label per row"):
        Dataset("toy", X, np.arange(20) % 2, ["a", "b"], ["f0", "f1"], groups=np.zeros(3))


def test_mnist_labels_out_of_range_or_swapped_files_are_refused(tmp_path):
    parts = make_idx_set(tmp_path / "mnist")
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", np.array([0, 1, 12, 3]), True)
    with pytest.raises(DataError, match=r"labels in .*t10k-labels.* must be 0-9, found 0-12"):
        DATASETS.get("mnist")(NO_DOWNLOAD, tmp_path)
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", parts["t10k-images-idx3-ubyte"], True)
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz", parts["t10k-labels-idx1-ubyte"], True)
    with pytest.raises(DataError, match="swapped"):
        DATASETS.get("mnist")(NO_DOWNLOAD, tmp_path)


def test_a_data_file_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "ohlson" / "Olsson.csv").mkdir(parents=True)
    with pytest.raises(DataError, match="Olsson.csv is not a file"):
        DATASETS.get("ohlson")(OmegaConf.create({"download": False}), tmp_path)


def test_patches_synthetic_mixes_its_saved_sources_through_the_basis_plus_noise():
    from sparseae_cli.datasets.patches_synthetic import basis_images

    cfg = OmegaConf.create({"n_samples": 2000, "n_basis": 5, "source": "laplace", "noise": 0.1,
                            "test_fraction": 0.2, "generator_seed": 3})
    data = DATASETS.get("patches_synthetic")(cfg, None)
    again = DATASETS.get("patches_synthetic")(cfg, None)
    assert np.array_equal(data.X, again.X) and np.array_equal(data.factors, again.factors)
    basis = basis_images()
    assert np.allclose(np.linalg.norm(basis, axis=1), 1) and np.linalg.matrix_rank(basis) == 5
    residual = data.X - data.factors @ basis
    assert residual.std() == pytest.approx(0.1, rel=0.05) and abs(residual.mean()) < 0.01
    assert np.array_equal(data.y, np.abs(data.factors).argmax(1))
    assert data.image_shape == (1, 5, 5) and np.array_equal(data.test_index, np.arange(1600, 2000))
    kept = data.subset(500, seed=1)
    assert np.allclose(kept.X - kept.factors @ basis, residual[np.isin(data.X, kept.X).all(1)])


def test_patches_are_windows_of_their_own_image_and_keep_its_label_and_side():
    from sparseae_cli.datasets import Dataset
    from sparseae_cli.datasets._patches import to_patches

    rng = np.random.default_rng(0)
    images = rng.random((6, 2, 7, 9)).astype(np.float32)  # two channels, 7 x 9
    data = Dataset("toy", images.reshape(6, -1), np.arange(6) % 3, ["a", "b", "c"], [], (2, 7, 9),
                   test_index=np.array([4, 5]), kind="image")
    patches = to_patches(data, 4, 3, seed=1)
    assert patches.image_shape == (2, 4, 4) and len(patches.X) == 18
    assert np.array_equal(patches.y, np.repeat(data.y, 3))
    assert np.array_equal(patches.test_index, np.arange(12, 18))
    for row, patch in enumerate(patches.X.reshape(18, 2, 4, 4)):
        image = images[row // 3]
        windows = [image[:, i:i + 4, j:j + 4] for i in range(4) for j in range(6)]
        assert any(np.array_equal(patch, w) for w in windows)  # brute force over every position
    assert np.array_equal(to_patches(data, 4, 3, seed=1).X, patches.X)
    with pytest.raises(DataError, match="exceeds"):
        to_patches(data, 8, 1, seed=0)
    tabular = Dataset("t", np.zeros((4, 3)), np.array([0, 1, 0, 1]), ["a", "b"], [])
    with pytest.raises(DataError, match="not an image set"):
        to_patches(tabular, 2, 1, seed=0)


def test_data_fingerprint_follows_file_content_not_folder_and_caches_checksums(tmp_path, monkeypatch):
    from sparseae_cli.datasets import fingerprint

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first, moved = tmp_path / "a" / "t.csv", tmp_path / "b" / "t.csv"
    for path in (first, moved):
        path.parent.mkdir()
        path.write_text("1;2\n3;4\n")
    reads = []
    real = fingerprint.md5_of
    monkeypatch.setattr(fingerprint, "md5_of", lambda path: reads.append(path) or real(path))
    same = fingerprint.data_fingerprint([str(first)])
    assert fingerprint.data_fingerprint([str(moved)]) == same  # the same file elsewhere
    assert fingerprint.data_fingerprint([str(first)]) == same and len(reads) == 2  # cached: no third read
    first.write_text("1;2\n3;5\n")
    assert fingerprint.data_fingerprint([str(first)]) != same
    assert fingerprint.data_fingerprint(["sklearn.datasets.load_digits"]) != same
