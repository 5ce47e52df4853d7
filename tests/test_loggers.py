"""Experiment trackers: what a run logs is read back from TensorBoard's event files and from
MLflow's SQLite store."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sparseae_cli import records
from sparseae_cli.loggers import LOGGERS, phase_key

from .conftest import run_cli


def test_every_registered_logger_has_a_config():
    from sparseae_cli.cli import conf_dir
    from sparseae_cli.config_tree import config_groups

    assert set(config_groups(conf_dir())["logger"]) == set(LOGGERS.names())


def test_flatten_and_metric_names():
    assert records.flatten({"train": {"lr": 0.1, "hidden": [1, 2]}, "eta": 3}) == {
        "train.lr": 0.1, "train.hidden": "[1, 2]", "eta": 3}
    assert phase_key("phase 1") == "loss/phase1"


def _same_curves(logged: list[list[float]], recorded: list[list[float]]) -> bool:
    return len(logged) == len(recorded) and all(np.allclose(a, b, rtol=1e-6) for a, b in zip(logged, recorded))


def _losses(record: dict) -> list[list[float]]:
    """The run's per-epoch loss curves, one per training phase, in a comparable order."""
    return sorted(losses for losses in record["folds"][0]["loss_history"].values() if losses)


def test_tensorboard_logs_each_epoch_the_config_and_the_final_metrics(tmp_path, quick):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    result = run_cli("train", *quick, "logger=tensorboard")
    assert result.returncode == 0, result.stderr
    run = tmp_path / "run"
    record = json.loads((run / "metrics.json").read_text())
    events = event_accumulator.EventAccumulator(str(run / "tensorboard")).Reload()
    scalars = events.Tags()["scalars"]
    logged = sorted([e.value for e in events.Scalars(tag)] for tag in scalars if tag.startswith("loss/"))
    assert _same_curves(logged, _losses(record))
    assert [e.step for e in events.Scalars("loss/phase1")] == [1, 2]
    final = events.Scalars("final/silhouette_test")[0].value
    assert final == pytest.approx(record["summary"]["silhouette_test"]["mean"], rel=1e-6)
    assert "final/mse" in scalars
    # a tracked run is the same run: the logger is not part of its identity
    untracked = {**record["config"], "logger": {"name": "none"}}
    assert records.config_hash(untracked) == record["config_hash"]


def test_mlflow_files_a_sweep_as_one_experiment_with_params_losses_and_metrics(tmp_path, quick):
    pytest.importorskip("mlflow")
    pytest.importorskip("sqlalchemy")
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    result = run_cli("train", "-m", *quick, "logger=mlflow", f"logger.tracking_uri={uri}", "eta=10,20")
    assert result.returncode == 0, result.stderr
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(str(tmp_path / "sweep"))
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.info.run_name for r in runs) == ["eta=10", "eta=20"]
    for run in runs:
        assert run.info.status == "FINISHED"
        record = json.loads((tmp_path / "sweep" / run.data.tags["sparseae.run_dir"].rsplit("/", 1)[1]
                             / "metrics.json").read_text())
        assert run.data.params["eta"] == str(record["config"]["eta"])
        assert run.data.params["train.epochs"] == str(record["config"]["train"]["epochs"])
        assert run.data.metrics["mse"] == pytest.approx(record["summary"]["mse"]["mean"])
        curves = [client.get_metric_history(run.info.run_id, key) for key in run.data.metrics
                  if key.startswith("loss/")]
        assert _same_curves(sorted([m.value for m in sorted(c, key=lambda m: m.step)] for c in curves),
                            _losses(record))


def test_a_failed_run_is_marked_failed_in_the_tracker(tmp_path, quick):
    pytest.importorskip("mlflow")
    pytest.importorskip("sqlalchemy")
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    result = run_cli("train", *quick, "logger=mlflow", f"logger.tracking_uri={uri}", "train.lr=1e30",
                     "train.optimizer=sgd", "lam=1e30")  # the loss becomes NaN
    assert result.returncode == 1
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("sparseae").experiment_id])
    assert [r.info.status for r in runs] == ["FAILED"]


@pytest.mark.parametrize("name, module", [("mlflow", "mlflow.tracking"),
                                          ("tensorboard", "torch.utils.tensorboard")])
def test_a_tracker_whose_package_is_missing_is_one_line_naming_the_install(name, module, tmp_path, monkeypatch):
    from omegaconf import OmegaConf

    from sparseae_cli.errors import UsageError
    from sparseae_cli.loggers import RunInfo

    monkeypatch.setitem(__import__("sys").modules, module, None)  # import now raises ImportError
    cfg = OmegaConf.create({"name": name, "tracking_uri": f"sqlite:///{tmp_path}/m.db", "experiment": "x"})
    with pytest.raises(UsageError, match=f"logger={name} needs .*pip install"):
        LOGGERS.get(name)(cfg, RunInfo(tmp_path, "run", None))
