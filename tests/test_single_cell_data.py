"""The single-cell readers on files the tests write (AnnData, FCS), the known batch effect laid
over a set, the CyTOF-like generator, and one-line errors for malformed input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from sparseae_cli.datasets import DATASETS, Dataset
from sparseae_cli.datasets.batch_effect import with_batch_effect
from sparseae_cli.datasets.cytof_synthetic import generate
from sparseae_cli.errors import DataError

from .conftest import assert_clean_error, composed, run_cli

anndata = pytest.importorskip("anndata")
flowio = pytest.importorskip("flowio")


def dataset_cfg(name: str, **values):
    cfg = composed(f"dataset={name}").dataset
    for key, value in values.items():
        OmegaConf.update(cfg, key, value, force_add=True)
    return cfg


def write_h5ad(path, n=60, genes=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.gamma(2.0, size=(n, genes)).astype(np.float32)
    obs = pd.DataFrame({"cell_type": rng.choice(["B", "T", "NK"], n), "sample": rng.choice(["p1", "p2"], n)},
                       index=[f"cell{i}" for i in range(n)])
    adata = anndata.AnnData(X=X, obs=obs)
    adata.var_names = [f"gene{j}" for j in range(genes)]
    adata.layers["counts"] = np.round(X * 10)
    adata.write_h5ad(path)
    return adata


def test_h5ad_reads_matrix_labels_batches_and_layers(tmp_path):
    adata = write_h5ad(tmp_path / "cells.h5ad")
    data = DATASETS.get("h5ad")(dataset_cfg("h5ad", path="cells.h5ad", label_key="cell_type", batch_key="sample"),
                                tmp_path)
    np.testing.assert_allclose(data.X, adata.X)
    assert data.class_names == ["B", "NK", "T"] and data.feature_names == list(adata.var_names)
    np.testing.assert_array_equal(np.array(data.class_names)[data.y], adata.obs["cell_type"])
    np.testing.assert_array_equal(np.array(["p1", "p2"])[data.groups], adata.obs["sample"])
    layered = DATASETS.get("h5ad")(dataset_cfg("h5ad", path=str(tmp_path / "cells.h5ad"), layer="counts",
                                               transform="arcsinh", cofactor=5.0), tmp_path)
    np.testing.assert_allclose(layered.X, np.arcsinh(adata.layers["counts"] / 5), rtol=1e-6)
    assert not layered.labelled and layered.groups is None and set(layered.y) == {0}


@pytest.mark.parametrize("override, message", [
    ("label_key=celltype", "obs has no column 'celltype'"),
    ("layer=spliced", "no layer 'spliced'"),
])
def test_h5ad_names_the_missing_key_and_what_the_file_has(tmp_path, override, message):
    write_h5ad(tmp_path / "cells.h5ad")
    key, value = override.split("=")
    with pytest.raises(DataError, match=message):
        DATASETS.get("h5ad")(dataset_cfg("h5ad", path="cells.h5ad", **{key: value}), tmp_path)


def write_fcs(path, events: np.ndarray, names: list[str]) -> None:
    with open(path, "wb") as handle:
        flowio.create_fcs(handle, events.astype(np.float32).flatten(), names)


def test_fcs_one_batch_per_file_arcsinh_and_excluded_channels(tmp_path):
    rng = np.random.default_rng(0)
    runs = [rng.gamma(2.0, 50.0, size=(n, 3)) for n in (30, 20)]
    for i, events in enumerate(runs):
        write_fcs(tmp_path / f"run{i}.fcs", np.column_stack([events, np.arange(len(events))]),
                  ["CD3", "CD4", "CD8", "Time"])
    data = DATASETS.get("fcs")(dataset_cfg("fcs", path="run*.fcs"), tmp_path)
    assert data.feature_names == ["CD3", "CD4", "CD8"] and not data.labelled
    np.testing.assert_allclose(data.X, np.arcsinh(np.vstack(runs) / 5), rtol=1e-5)
    np.testing.assert_array_equal(data.groups, [0] * 30 + [1] * 20)
    chosen = DATASETS.get("fcs")(dataset_cfg("fcs", path="run1.fcs", channels=["CD8", "CD3"], transform="none"),
                                 tmp_path)
    np.testing.assert_allclose(chosen.X, runs[1][:, [2, 0]], rtol=1e-5)


def test_fcs_files_must_share_the_channels(tmp_path):
    write_fcs(tmp_path / "a.fcs", np.ones((4, 2)), ["CD3", "CD4"])
    write_fcs(tmp_path / "b.fcs", np.ones((4, 2)), ["CD3", "CD19"])
    with pytest.raises(DataError, match=r"b.fcs: has no channel CD4; its channels: CD3, CD19"):
        DATASETS.get("fcs")(dataset_cfg("fcs", path="*.fcs"), tmp_path)


@pytest.mark.parametrize("dataset, message", [("fcs", "not a readable FCS file"),
                                              ("h5ad", "not a readable AnnData file")])
def test_a_malformed_file_gives_one_line(tmp_path, dataset, message):
    broken = tmp_path / f"broken.{dataset}"
    broken.write_bytes(b"not a cytometry or AnnData file\n")
    result = run_cli("train", f"dataset={dataset}", f"dataset.path={broken}", "model=saucie",
                     f"hydra.run.dir={tmp_path / 'run'}")
    assert_clean_error(result, 2, message, str(broken))


@pytest.mark.parametrize("dataset, path, message", [("fcs", "absent*.fcs", "no FCS file matches"),
                                                    ("h5ad", "absent.h5ad", "data file not found"),
                                                    ("h5ad", None, "needs dataset.path")])
def test_a_missing_file_is_named(tmp_path, dataset, path, message):
    with pytest.raises(DataError, match=message):
        DATASETS.get(dataset)(dataset_cfg(dataset, path=path), tmp_path)


def toy(n=40) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset("toy", rng.normal(size=(n, 6)), np.arange(n) % 4, list("abcd"), [f"f{i}" for i in range(6)])


def test_batch_effect_halves_every_class_and_shifts_batch_1_by_the_stated_offset():
    data = toy()
    shifted = with_batch_effect(data, 0.5, seed=3)
    for label in range(4):
        members = shifted.groups[data.y == label]
        assert abs((members == 1).sum() - (members == 0).sum()) <= 1
    offset = shifted.X - data.X
    np.testing.assert_allclose(offset[shifted.groups == 0], 0)
    row = offset[shifted.groups == 1]
    np.testing.assert_allclose(row, np.broadcast_to(row[0], row.shape), rtol=1e-6)  # one offset
    np.testing.assert_allclose(np.abs(row[0]), 0.5 * data.X.std(axis=0), rtol=1e-5)
    np.testing.assert_array_equal(with_batch_effect(data, 0.5, seed=3).X, shifted.X)  # seeded
    with pytest.raises(DataError, match="already has batches"):
        with_batch_effect(shifted, 0.5, seed=3)


def test_cytof_generator_is_seeded_and_its_batches_drift():
    X, types, batches = generate(5000, 8, 3, n_batches=2, drift=1.0, seed=1)
    again = generate(5000, 8, 3, n_batches=2, drift=1.0, seed=1)
    assert X.dtype == np.float32 and X.shape == (5000, 8) and (X >= 0).all()
    np.testing.assert_array_equal(X, again[0])
    assert set(types) == {0, 1, 2} and set(batches) == {0, 1}
    # within one cell type the batches' means differ by the drift, about N(0, 1) per marker
    t = np.bincount(types).argmax()
    gap = X[(types == t) & (batches == 1)].mean(0) - X[(types == t) & (batches == 0)].mean(0)
    assert np.abs(gap).mean() > 0.3
    flat = generate(5000, 8, 3, n_batches=1, seed=1)[2]
    assert set(flat) == {0}


def test_h5ad_with_a_sparse_matrix_reads_as_dense(tmp_path):
    from scipy import sparse

    counts = sparse.random(30, 8, density=0.2, format="csr", random_state=0, dtype=np.float32)
    adata = anndata.AnnData(X=counts)
    adata.write_h5ad(tmp_path / "sparse.h5ad")
    data = DATASETS.get("h5ad")(dataset_cfg("h5ad", path="sparse.h5ad"), tmp_path)
    np.testing.assert_allclose(data.X, counts.toarray())


@pytest.mark.parametrize("dataset", ["fcs", "h5ad"])
def test_saucie_runs_end_to_end_on_multi_batch_files(tmp_path, dataset):
    """The real multi-batch case: batches from the files (one per FCS file, or an obs column);
    unlabelled FCS runs report only label-free metrics."""
    from sparseae_cli import runner

    X, types, batches = generate(600, 6, 3, n_batches=2, drift=1.0, seed=2)
    if dataset == "fcs":
        for b in (0, 1):
            write_fcs(tmp_path / f"run{b}.fcs", 5 * np.sinh(X[batches == b]), [f"m{j}" for j in range(6)])
        overrides = ["dataset=fcs", f"dataset.path={tmp_path}/run*.fcs"]
    else:
        obs = pd.DataFrame({"type": [f"t{t}" for t in types], "sample": [f"s{b}" for b in batches]},
                           index=[f"c{i}" for i in range(600)])
        anndata.AnnData(X=X, obs=obs).write_h5ad(tmp_path / "cells.h5ad")
        overrides = ["dataset=h5ad", f"dataset.path={tmp_path}/cells.h5ad", "dataset.label_key=type",
                     "dataset.batch_key=sample"]
    out = tmp_path / "run"
    out.mkdir()
    record = runner.run(composed(*overrides, "model=saucie", "model.lambda_b=0.1", "train.epochs=2"), out)
    summary = record["summary"]
    assert {"batch_entropy", "batch_entropy_input", "n_clusters", "mse"} <= set(summary)
    assert ("ari" in summary) == (dataset == "h5ad")  # FCS files carry no cell types
    codes = np.load(out / "codes_seed0_fold0.npz")
    np.testing.assert_array_equal(np.bincount(codes["groups_test"]), np.bincount(batches))
    assert len(codes["clusters_test"]) == 600
