"""Checks on a composed config, run before any data is loaded or any training starts."""

from __future__ import annotations

from .constraints import CONSTRAINTS
from .datasets import DATASETS
from .errors import UsageError
from .metrics import METRICS
from .models import MODELS
from .regularizers import REGULARIZERS
from .training.loop import PRECISIONS


def _positive_int(value, key: str, allow_zero: bool = False) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise UsageError(f"{key} must be a {'non-negative' if allow_zero else 'positive'} integer, got {value!r}")


def _number(value, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{key} must be a number, got {value!r}")
    return float(value)


def validate_config(cfg) -> None:
    """Raise UsageError with a one-line message for the first problem found."""
    DATASETS.get(cfg.dataset.name)
    MODELS.get(cfg.model.name)
    CONSTRAINTS.get(cfg.constraint.name)
    for name in cfg.eval.metrics:
        METRICS.get(name)
    solver = (cfg.eval.get("svm") or {}).get("solver", "batched")
    if solver not in ("batched", "liblinear"):
        raise UsageError(f"eval.svm.solver must be batched or liblinear, got {solver!r}")
    REGULARIZERS.get(cfg.regularizer.name)
    if cfg.regularizer.name != "none":
        if _number(cfg.regularizer.beta, "beta") < 0:
            raise UsageError(f"beta must be >= 0 (the regularizer's strength), got {cfg.regularizer.beta}")
        if cfg.regularizer.name == "kl" and not 0 < _number(cfg.regularizer.p, "p") < 1:
            raise UsageError(f"regularizer=kl needs 0 < p < 1 (a target mean activation), got {cfg.regularizer.p}")
    if _number(cfg.eta, "eta") <= 0:
        raise UsageError(f"eta must be > 0 (the radius of the constraint ball), got {cfg.eta}")
    if _number(cfg.lam, "lam") < 0:
        raise UsageError(f"lam must be >= 0 (the reconstruction weight), got {cfg.lam}")
    if _number(cfg.train.lr, "train.lr") <= 0:
        raise UsageError(f"train.lr must be > 0, got {cfg.train.lr}")
    _positive_int(cfg.train.epochs, "train.epochs", allow_zero=True)
    if cfg.train.get("epochs_phase2") is not None:
        _positive_int(cfg.train.epochs_phase2, "train.epochs_phase2", allow_zero=True)
    _positive_int(cfg.train.batch_size, "train.batch_size")
    if _number(cfg.train.get("stop_tol", 0.0), "train.stop_tol") < 0:
        raise UsageError(f"train.stop_tol must be >= 0 (0 runs every epoch), got {cfg.train.stop_tol}")
    _positive_int(cfg.train.get("stop_window", 10), "train.stop_window")
    _positive_int(cfg.train.get("checkpoint_every", 0), "train.checkpoint_every", allow_zero=True)
    precision = cfg.train.get("precision", "fp32")
    if precision not in PRECISIONS:
        raise UsageError(f"train.precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    _positive_int(cfg.split.folds, "split.folds")
    _positive_int(cfg.split.repeats, "split.repeats")
    if cfg.split.folds < 2:
        raise UsageError(f"split.folds must be at least 2 for cross-validation, got {cfg.split.folds}")
    if not isinstance(cfg.seed, int):
        raise UsageError(f"seed must be an integer, got {cfg.seed!r}")
