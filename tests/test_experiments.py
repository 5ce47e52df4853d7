"""Every experiment config (conf/experiment/*, as Hydra's glob(*) sees them) composes and runs
end to end on a tiny budget: the first point of its sweep, one or two epochs, a data slice."""

from __future__ import annotations

import pytest

from sparseae_cli import runner
from sparseae_cli.cli import conf_dir
from sparseae_cli.config_check import config_groups
from sparseae_cli.errors import UsageError

from .conftest import composed

TINY = ["train.epochs=1", "train.epochs_phase2=1", "split.repeats=1",
        "dataset.max_samples=600", "eval.svm.n_c=2", "eval.svm.select_splits=2", "eval.svm.score_splits=2"]


def first_point(overrides: list[str]) -> list[str]:
    """The overrides of the first job of the experiment's own sweep (hydra.sweeper.params)."""
    params = composed(*overrides, hydra=True).hydra.sweeper.params or {}
    return [f"{key}={str(values).split(',')[0]}" for key, values in params.items()]


@pytest.mark.parametrize("name", config_groups(conf_dir())["experiment"])
def test_experiment_runs_end_to_end_on_a_tiny_budget(name, tmp_path, data_dir):
    overrides = [f"experiment={name}", f"data_dir={data_dir}", *TINY]
    cfg = composed(*overrides, *first_point(overrides))
    try:
        record = runner.run(cfg, tmp_path)
    except UsageError as missing:  # only a data file this machine lacks (LUNG.csv)
        if "LUNG.csv" not in str(missing):
            raise
        pytest.skip(str(missing))
    assert record["status"] == "complete" and record["folds"]
    assert (tmp_path / "metrics.json").exists()
