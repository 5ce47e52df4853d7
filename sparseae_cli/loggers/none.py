"""``logger=none``: nothing is tracked beyond the run's own metrics.json (the default)."""

from . import LOGGERS, RunLogger


@LOGGERS.register("none")
def open_none(cfg, run) -> RunLogger:
    return RunLogger()
