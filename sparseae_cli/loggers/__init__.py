"""Experiment trackers (``logger=none|tensorboard|mlflow``): every run's per-epoch losses, its
config as parameters and its final metrics, where the field's dashboards read them.

A tracker is a plug-in: a module here registers ``open(cfg, run) -> RunLogger``. While a run
trains, the one it opened is the *current* logger (a context variable, so the training loop
reports each epoch without every schedule passing it along); with ``logger=none`` nothing is
written anywhere.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..registry import Registry, load_plugins


@dataclass(frozen=True)
class RunInfo:
    """What a tracker files a run under: its folder, its name (the sweep's overrides that make
    it, or the folder's name) and its group (the sweep it belongs to, or None)."""

    out_dir: Path
    name: str
    sweep: str | None


class RunLogger:
    """The tracker protocol; this base logs nothing (``logger=none``)."""

    def epoch(self, phase: str, epoch: int, loss: float) -> None:
        """The mean training loss of ``epoch`` (1-based) of a training phase."""

    def finish(self, params: dict, metrics: dict, status: str) -> None:
        """The run's flattened config, its final metrics (means over folds) and how it ended
        ("FINISHED" or "FAILED"); the last call."""


LOGGERS: Registry = Registry("logger")
_current: contextvars.ContextVar[RunLogger | None] = contextvars.ContextVar("sparseae_logger", default=None)


def epoch_ended(phase: str, epoch: int, loss: float) -> None:
    """Report an epoch to the run's tracker, if one is open (called by the training loop)."""
    logger = _current.get()
    if logger is not None:
        logger.epoch(phase, epoch, loss)


@contextmanager
def tracking(cfg, run: RunInfo):
    """Open the tracker ``cfg.logger.name`` for one run and make it current while the run lasts.
    Yields the logger; the caller reports the outcome with ``finish``."""
    logger = LOGGERS.get(cfg.logger.name)(cfg.logger, run)
    token = _current.set(logger)
    try:
        yield logger
    finally:
        _current.reset(token)


def phase_key(phase: str) -> str:
    """'phase 1' -> 'loss/phase1' (as the run record's loss_history names it): a metric name
    every tracker accepts."""
    return "loss/" + "".join(phase.split())


__all__ = ["LOGGERS", "RunInfo", "RunLogger", "epoch_ended", "phase_key", "tracking"]

load_plugins(__name__)
