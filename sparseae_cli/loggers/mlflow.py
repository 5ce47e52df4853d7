"""``logger=mlflow``: runs in an MLflow tracking store (by default a SQLite database,
``outputs/mlflow.db``: MLflow's file store is deprecated).

A sweep's runs land in one experiment named after the sweep's folder (a single run's in
``logger.experiment``), each run named by its overrides, with the config as parameters, the
per-epoch losses as metrics with their epoch as step, and the final metrics. Browse them with
``mlflow ui --backend-store-uri sqlite:///outputs/mlflow.db``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from . import LOGGERS, RunLogger, phase_key

SQLITE = "sqlite:///"
MAX_BATCH = 100  # MLflow takes at most this many parameters in one call
MAX_VALUE = 500  # characters of one parameter's value


def _client(tracking_uri: str):
    if tracking_uri.startswith(SQLITE):  # the store's folder, as a file store would make it
        Path(tracking_uri[len(SQLITE):]).parent.mkdir(parents=True, exist_ok=True)
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise UsageError("logger=mlflow needs MLflow: pip install mlflow-skinny sqlalchemy alembic "
                         "(or pip install -e '.[tracking]'), or choose logger=none") from None
    return MlflowClient(tracking_uri=tracking_uri)


def _experiment_id(client, name: str) -> str:
    """The experiment ``name``, created if missing; parallel jobs may race to create it."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except MlflowException:  # another job of the sweep created it first
        return client.get_experiment_by_name(name).experiment_id


class MlflowLogger(RunLogger):
    def __init__(self, cfg, run) -> None:
        self.client = _client(str(cfg.tracking_uri))
        experiment = run.sweep or str(cfg.experiment)
        self.run_id = self.client.create_run(_experiment_id(self.client, experiment), run_name=run.name,
                                             tags={"sparseae.run_dir": str(run.out_dir)}).info.run_id

    def epoch(self, phase: str, epoch: int, loss: float) -> None:
        self.client.log_metric(self.run_id, phase_key(phase), loss, step=epoch)

    def finish(self, params: dict, metrics: dict, status: str) -> None:
        from mlflow.entities import Metric, Param

        texts = [Param(k, str(v)[:MAX_VALUE]) for k, v in params.items()]
        for start in range(0, len(texts), MAX_BATCH):
            self.client.log_batch(self.run_id, params=texts[start:start + MAX_BATCH])
        values = [Metric(k, float(v), 0, 0) for k, v in metrics.items()]
        for start in range(0, len(values), MAX_BATCH):
            self.client.log_batch(self.run_id, metrics=values[start:start + MAX_BATCH])
        self.client.set_terminated(self.run_id, status)


@LOGGERS.register("mlflow")
def open_mlflow(cfg, run) -> RunLogger:
    return MlflowLogger(cfg, run)
