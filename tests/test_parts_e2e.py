"""Part-based AE models end to end on a slice of Fashion-MNIST, the paper table and figures."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from .conftest import assert_clean_error, needs_shared, run_cli, run_cli_here

SLICE = ["dataset=fashion_mnist", "dataset.max_samples=2500", "train.epochs=1",
         "eval.svm.n_c=3", "eval.svm.select_splits=2", "+eval.svm.score_test_size=0.2"]
pytestmark = needs_shared("fashion-mnist", "train-images-idx3-ubyte.gz")


def metrics_of(run):
    return json.loads((run / "metrics.json").read_text())["summary"]


@pytest.mark.parametrize("model, extra", [
    ("shallow_ae", ["regularizer=kl", "p=0.05", "beta=0.001", "constraint=nonneg"]),
    ("asym_ae", ["regularizer=kl", "p=0.01", "beta=0.01", "constraint=nonneg"]),
    ("sparse_nmf", ["sparseness=0.6", "model.n_iter=10", "model.encode_iter=5"]),
    ("sklearn_nmf", ["model.max_iter=20"]),
])
def test_each_model_one_epoch_on_a_slice(tmp_path, data_dir, model, extra):
    run = tmp_path / "run"
    result = run_cli("train", f"model={model}", *SLICE, *extra, f"data_dir={data_dir}",
                     f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr
    summary = metrics_of(run)
    for key in ("mse", "hoyer_sparsity", "max_approx_error", "svm_accuracy"):
        assert key in summary, key
    if "constraint=nonneg" in extra:
        import torch

        weights = torch.load(run / "weights_seed0_fold0.pt", weights_only=True)
        assert weights["decoder.0.weight"].min() >= 0  # non-negative atoms


def test_table_experiment_report_and_figures(tmp_path, data_dir, capsys):
    sweep = tmp_path / "sweep"
    common = ["experiment=parts_fashion_table1", *SLICE, "model.train.epochs=1", f"data_dir={data_dir}",
              f"hydra.sweep.dir={sweep}"]
    grid = run_cli("train", *common, "p=0.05,0.01", "beta=0.001")  # two points of the p x beta sweep
    assert grid.returncode == 0, grid.stderr
    baseline = run_cli("train", *common, "parts_setting=unconstrained")  # into the same folder
    assert baseline.returncode == 0, baseline.stderr
    folders = sorted(p.parent.name for p in sweep.rglob("metrics.json"))
    # Each job's folder is named by its overrides: the grid's points and the baseline side by side.
    assert len(folders) == 3 and all("data_dir" not in f for f in folders)
    assert sorted(("p=0.01" in f, "p=0.05" in f, "parts_setting=unconstrained" in f) for f in folders) == [
        (False, True, False), (False, True, True), (True, False, False)]
    report = run_cli_here(capsys, "report", "--table", "parts_fashion_table1", str(sweep))
    assert report.returncode == 0, report.stderr
    table = pd.read_csv(sweep / "report" / "parts_fashion_table1.csv")
    row = table[(table.setting == "p=0.05 beta=0.001") & (table.metric == "hoyer_sparsity")]
    assert row["paper"].item() == 0.505
    assert "svm_accuracy_std" in set(table.metric)
    shown = (sweep / "report" / "parts_fashion_table1.md").read_text()
    every = (sweep / "report" / "parts_fashion_table1_all.md").read_text()
    assert "p=0.05 beta=0.001" in shown and "p=0.01 beta=0.001" not in shown  # the paper's rows
    assert "p=0.01 beta=0.001" in every  # and the rest of the grid beside them
    epochs = table[(table.setting == "unconstrained") & (table.metric == "epochs_trained")]
    assert epochs["mean"].item() == 1 and re.search(r"\|\s*epochs\s*\|", shown)
    figs = run_cli_here(capsys, "figures", *(str(sweep / f) for f in folders if "p=0.01" not in f), "--out",
                        str(tmp_path / "f"))
    assert figs.returncode == 0, figs.stderr
    for name in ("parts_reconstructions", "parts_max_approximations", "parts_code_histograms", "loss_curves"):
        assert (tmp_path / "f" / f"{name}.png").exists()
    chosen = run_cli_here(capsys, "figures", str(sweep), "--select", "tag=unconstrained",
                          "--select", "p=0.05,beta=0.001", "--out", str(tmp_path / "s"))
    assert chosen.returncode == 0, chosen.stderr
    assert (tmp_path / "s" / "parts_reconstructions.png").exists()
    grid = run_cli_here(capsys, "figures", "--grid", str(sweep), "--out", str(tmp_path / "g"))
    assert grid.returncode == 0, grid.stderr
    assert (tmp_path / "g" / "parts_max_approx_vs_sparsity.png").exists()


def test_kl_needs_a_probability(tmp_path, data_dir):
    result = run_cli("train", "model=shallow_ae", "regularizer=kl", "p=1.5", f"data_dir={data_dir}",
                     f"hydra.run.dir={tmp_path}")
    assert_clean_error(result, 2, "p must be > 0 and < 1")
