"""Barlaud & Guyard 2021: experiment configs, paper tables, sampling and figures, end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from sparseae_cli.artifacts import RunArtifacts
from sparseae_cli.cli import conf_dir

from .conftest import assert_clean_error, needs_shared, run_cli, run_cli_here
from .test_datasets import write_omics

TINY = ["train.epochs=1", "train.epochs_phase2=1", "split.repeats=1"]


@pytest.mark.parametrize("name", ["barlaud2021_ohlson", "barlaud2021_lung", "barlaud2021_mnist"])
def test_experiment_configs_compose(name):
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={name}"], return_hydra_config=True)
    if name == "barlaud2021_mnist":
        assert cfg.model.arch == "fair4" and cfg.dataset.name == "mnist"
        return
    assert cfg.hydra.mode.name == "MULTIRUN"
    assert set(cfg.hydra.sweeper.params) == {"constraint", "eta"}
    assert cfg.split.folds == 4 and cfg.split.repeats == 3 and cfg.train.batch_size == 8
    assert cfg.paper.table.startswith("barlaud2021_table")


@needs_shared("ohlson", "Olsson.csv")
def test_table1_experiment_and_paper_report(tmp_path, data_dir):
    sweep = tmp_path / "sweep"
    result = run_cli("train", "experiment=barlaud2021_ohlson", f"data_dir={data_dir}", *TINY,
                     "hydra.sweeper.params.eta='200,10000'", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr
    assert len(list(sweep.glob("*/metrics.json"))) == 4  # l1, l11 x two radii
    report = run_cli("report", "--table", "barlaud2021_table1", str(sweep))
    assert report.returncode == 0, report.stderr
    assert "paper" in report.stdout and "eta=200" in report.stdout
    table = pd.read_csv(sweep / "report" / "barlaud2021_table1.csv")
    row = table[(table.metric == "silhouette_test") & (table.constraint == "l11") & (table.eta == 200)]
    assert row["paper"].item() == 0.608
    assert row["diff"].item() == pytest.approx(row["mean"].item() - 0.608)
    assert {"accuracy", "features_kept"} <= set(table.metric)
    for suffix in ("md", "tex", "png", "pdf"):
        assert (sweep / "report" / f"barlaud2021_table1.{suffix}").exists()
    figs = run_cli("figures", str(sweep), "--select", "constraint=l11,eta=10000",
                   "--select", "constraint=l11,eta=200", "--out", str(tmp_path / "figs"))
    assert figs.returncode == 0, figs.stderr
    assert (tmp_path / "figs" / "latent_pca.png").exists()


def test_lung_experiment_runs_unchanged_on_a_file_of_the_same_shape(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.array([1] * 469 + [2] * 536)
    X = np.abs(rng.lognormal(size=(1005, 2944)))
    X[labels == 2, :20] *= 3  # a few informative metabolites
    write_omics(tmp_path / "LUNG.csv", X, labels)
    result = run_cli("train", "experiment=barlaud2021_lung", f"data_dir={tmp_path}", *TINY,
                     "constraint=l1", "eta=100", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "sweep" / "0" / "metrics.json").read_text())
    assert record["dataset"]["n_features"] == 2944 and record["dataset"]["n_samples"] == 1005
    assert len(record["folds"]) == 4


def test_lung_experiment_without_the_file_is_a_clean_error(tmp_path):
    result = run_cli("train", "experiment=barlaud2021_lung", f"data_dir={tmp_path}",
                     f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert_clean_error(result, 2, "LUNG.csv", str(tmp_path))


@needs_shared("mnist", "train-images-idx3-ubyte.gz")
def test_mnist_experiment_sample_and_figures(tmp_path, data_dir):
    run = tmp_path / "run"
    result = run_cli("train", "experiment=barlaud2021_mnist", f"data_dir={data_dir}", *TINY,
                     "dataset.max_samples=1200", f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr
    sampled = run_cli("sample", str(run), "n=3", "burn_in=20", "thin=2")
    assert sampled.returncode == 0, sampled.stderr
    summary = json.loads((run / "samples" / "samples.json").read_text())
    assert 0 < summary["acceptance_rate"] <= 1
    assert 0 <= summary["decoded_class_agreement"] <= 1
    data = np.load(run / "samples" / "samples.npz")
    assert data["latent"].shape == (30, 10) and data["decoded"].shape == (30, 784)
    assert (run / "samples" / "decoded_samples.png").exists()
    figs = run_cli("figures", str(run))
    assert figs.returncode == 0, figs.stderr
    assert (run / "figures" / "reconstructions_run.png").exists()
    assert (run / "figures" / "loss_curves.png").exists()
    fold = json.loads((run / "metrics.json").read_text())["folds"][0]
    # Both phases of double descent, in order, one value per epoch.
    assert RunArtifacts(run).loss_history() == fold["loss_history"]["phase1"] + fold["loss_history"]["phase2"]
    assert len(RunArtifacts(run).loss_history()) == 2


def test_sample_on_digits_and_its_errors(tmp_path, capsys):
    run = tmp_path / "run"
    assert run_cli("train", "experiment=quick", f"hydra.run.dir={run}").returncode == 0
    result = run_cli("sample", str(run), "n=4", "burn_in=10", "thin=2", "seed=3")
    assert result.returncode == 0, result.stderr
    again = run_cli("sample", str(run), "n=4", "burn_in=10", "thin=2", "seed=3", f"out={tmp_path / 'b'}")
    assert again.returncode == 0
    a = np.load(run / "samples" / "samples.npz")
    b = np.load(tmp_path / "b" / "samples.npz")
    np.testing.assert_array_equal(a["latent"], b["latent"])  # a fixed seed reproduces the chains
    assert_clean_error(run_cli_here(capsys, "sample", str(run), "colour=3"), 2, "unknown option 'colour=3'")
    assert_clean_error(run_cli_here(capsys, "sample", str(run), "n=0"), 2, "n and thin")
    assert_clean_error(run_cli_here(capsys, "sample", str(tmp_path / "nothing")), 2, "no finished run")


def test_unknown_paper_table(tmp_path):
    assert_clean_error(run_cli("report", "--table", "nope", str(tmp_path)), 2,
                       "unknown paper table 'nope'", "barlaud2021_table1")


def test_submitit_local_launcher(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    sweep = tmp_path / "sweep"
    result = run_cli("train", "-m", "experiment=quick", "eta=20,2000", "hydra/launcher=submitit_local",
                     "hydra.launcher.timeout_min=10", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr
    assert len(list(sweep.glob("*/metrics.json"))) == 2


def test_slurm_example_launcher_config_composes():
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        cfg = compose("config", overrides=["hydra/launcher=slurm", "hydra.launcher.partition=gpu"],
                      return_hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith("SlurmLauncher")
    assert cfg.hydra.launcher.partition == "gpu" and cfg.hydra.launcher.timeout_min == 60
