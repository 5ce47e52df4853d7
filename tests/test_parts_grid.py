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
from sparseae_cli.reporting.parts_figures import grid_figures, split_grid

CONF = Path(__file__).resolve().parents[1] / "conf"
P_VALUES = [0.01, 0.05, 0.1, 0.2]
BETA_VALUES = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5]


def settings() -> dict[str, dict]:
    return {path.stem: OmegaConf.to_container(OmegaConf.load(path))
            for path in (CONF / "parts_setting").glob("*.yaml")}


def test_the_settings_hold_the_whole_grid_and_tags_match_p_and_beta():
    grid = {(s["p"], s["beta"]): s for s in settings().values() if "beta" in s}
    assert set(grid) == set(itertools.product(P_VALUES, BETA_VALUES))
    for (p, beta), setting in grid.items():
        assert setting["tag"] == f"p={p} beta={beta}"


@pytest.mark.parametrize("table", ["parts_fashion_table1", "parts_fashion_table2"])
def test_each_paper_row_is_a_setting_the_table_experiment_sweeps(table):
    experiment = OmegaConf.load(CONF / "experiment" / f"{table}.yaml")
    assert experiment.hydra.sweeper.params.parts_setting == "glob(*)"  # baselines + grid
    tags = {s["tag"] for s in settings().values()}
    assert set(experiment.paper["values"]) <= tags


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
    (folder / "metrics.json").write_text(json.dumps({"params": params, "config": config}))


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
