"""The p x beta grid behind the part-based AE tables: its configs, how figures split it from
the baselines, and how runs are picked for figures."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from sparseae_cli.artifacts import find_run
from sparseae_cli.errors import UsageError
from sparseae_cli.reporting.paper_tables import label_runs, paper_rows
from sparseae_cli.reporting.parts_figures import grid_figures, split_grid

from .conftest import composed

CONF = Path(__file__).resolve().parents[1] / "conf"
P_VALUES = [0.01, 0.05, 0.1, 0.2]
BETA_VALUES = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5]


def sweep_params(*overrides: str) -> dict:
    return OmegaConf.to_container(composed(*overrides, hydra=True).hydra.sweeper.params)


@pytest.mark.parametrize("experiment", ["parts_fashion_table1", "parts_fashion_table2", "parts_fashion_grid"])
def test_the_grid_is_the_sweepers_p_by_beta_product(experiment):
    params = sweep_params(f"experiment={experiment}")
    assert set(params) == {"p", "beta"}
    assert [float(v) for v in params["p"].split(",")] == P_VALUES
    assert [float(v) for v in params["beta"].split(",")] == BETA_VALUES


@pytest.mark.parametrize("baseline", ["sparse_nmf", "unconstrained"])
def test_a_baseline_replaces_the_grid_by_one_point_with_beta_zero(baseline):
    cfg = composed("experiment=parts_fashion_table1", f"parts_setting={baseline}", hydra=True)
    assert OmegaConf.to_container(cfg.hydra.sweeper.params) == {"p": "0.05", "beta": "0.0"}
    assert cfg.beta == 0 and cfg.regularizer.name == "none" and cfg.constraint.name == "none"


@pytest.mark.parametrize("table", ["parts_fashion_table1", "parts_fashion_table2"])
def test_each_paper_row_is_a_grid_point_or_a_named_baseline(table):
    block = OmegaConf.to_container(OmegaConf.load(CONF / "experiment" / f"{table}.yaml").paper)
    points = set(itertools.product(P_VALUES, BETA_VALUES))
    for row in block["values"]:
        in_grid = (row.get("p"), row.get("beta")) in points
        baseline = row.get("label") and (row["model"] == "sparse_nmf" or row.get("beta") == 0)
        assert in_grid or baseline, row
    assert len(paper_rows(block)) == len(block["values"])  # every row has a name of its own


def test_runs_are_labelled_by_their_model_p_and_beta_not_by_tags():
    block = OmegaConf.to_container(OmegaConf.load(CONF / "experiment" / "parts_fashion_table1.yaml").paper)
    frame = pd.DataFrame(
        [["shallow_ae", 0.05, 0.001, "a stale tag"], ["shallow_ae", 0.05, 0.0, None],
         ["sparse_nmf", 0.05, 0.0, None], ["shallow_ae", 0.01, 0.0001, None], ["asym_ae", 0.05, 0.0, None]],
        columns=["model", "config.p", "config.beta", "tag"])
    assert list(label_runs(frame, block)) == ["p=0.05 beta=0.001", "unconstrained", "sparse NMF",
                                              "p=0.01 beta=0.0001", "p=0.05 beta=0.0"]


def _runs(rows):
    return pd.DataFrame(rows, columns=["config.p", "config.beta", "config.regularizer.name", "config.model.name",
                                       "config.tag", "mse", "hoyer_sparsity", "max_approx_error"])


def test_split_grid_separates_the_baselines():
    frame = _runs([
        [0.05, 0.001, "kl", "shallow_ae", "p=0.05 beta=0.001", 0.01, 0.5, 0.2],
        [0.05, 0.0, "none", "shallow_ae", "unconstrained", 0.007, 0.07, 18.0],
        [0.05, 0.0, "none", "sparse_nmf", "sparse NMF", 0.011, 0.65, 0.1],
    ])
    grid, baselines = split_grid(frame)
    assert list(grid["config.tag"]) == ["p=0.05 beta=0.001"]
    assert set(baselines["config.tag"]) == {"unconstrained", "sparse NMF"}


def test_grid_figures_need_a_regularised_run(tmp_path):
    frame = _runs([[0.05, 0.0, "none", "shallow_ae", "unconstrained", 0.007, 0.07, 18.0]])
    with pytest.raises(UsageError, match="beta > 0"):
        grid_figures(frame, tmp_path)
    frame = pd.concat([frame, _runs([[0.1, 0.01, "kl", "shallow_ae", "p=0.1 beta=0.01", 0.01, 0.4, 0.3]])])
    written = grid_figures(frame, tmp_path)
    assert {p.name for p in written} >= {"parts_metrics_vs_beta.png", "parts_max_approx_vs_sparsity.png"}


def _record(folder: Path, params: dict, config: dict) -> None:
    folder.mkdir(parents=True)
    record = {"status": "complete", "params": params, "config": config, "dataset": {}, "folds": []}
    (folder / "metrics.json").write_text(json.dumps(record))


def test_find_run_matches_params_and_dotted_config_keys(tmp_path):
    _record(tmp_path / "0", {"model": "shallow_ae", "tag": "unconstrained"},
            {"p": 0.05, "beta": 0.0, "regularizer": {"name": "none"}})
    _record(tmp_path / "1", {"model": "shallow_ae", "tag": "p=0.05 beta=0.001"},
            {"p": 0.05, "beta": 0.001, "regularizer": {"name": "kl"}})
    assert find_run([str(tmp_path)], "tag=unconstrained") == tmp_path / "0"
    assert find_run([str(tmp_path)], "p=0.05,beta=1e-3") == tmp_path / "1"
    assert find_run([str(tmp_path)], "regularizer.name=kl") == tmp_path / "1"
    with pytest.raises(UsageError, match="matches 2 runs"):
        find_run([str(tmp_path)], "p=0.05")
    with pytest.raises(UsageError, match="matches 0 runs"):
        find_run([str(tmp_path)], "regularizer.name=log")
