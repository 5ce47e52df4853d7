"""Checks on a composed config, run before any data is loaded or any training starts.

The core keys every run has are checked against ``CORE``; every chosen plug-in (dataset,
model, regularizer, constraint, schedule, optimiser, metrics) is checked against the
parameter constraints it registered next to its own code. No plug-in is named here.
"""

from __future__ import annotations

from .constraints import CONSTRAINTS
from .corruptions import CORRUPTIONS, NO_CORRUPTION
from .datasets import DATASETS
from .loggers import LOGGERS
from .metrics import METRICS
from .models import MODELS
from .params import NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE, POSITIVE_INT, Interval, Optional, Options, check
from .regularizers import REGULARIZERS
from .training.loop import PRECISIONS
from .training.optimizers import OPTIMIZERS
from .training.schedules import SCHEDULES

CORE = {
    "eta": POSITIVE.means("the radius of the constraint ball"),
    "lam": NON_NEGATIVE.means("the reconstruction weight"),
    "beta": NON_NEGATIVE.means("the regularizer's strength"),
    "seed": Interval(int, 0, 2**32 - 1, meaning="numpy's seed range"),
    "threads": Optional(POSITIVE_INT),
    "train.lr": POSITIVE,
    "train.epochs": NON_NEGATIVE_INT,
    "train.batch_size": POSITIVE_INT,
    "train.stop_tol": NON_NEGATIVE.means("0 runs every epoch"),
    "train.stop_window": POSITIVE_INT,
    "train.checkpoint_every": NON_NEGATIVE_INT,
    "train.precision": Options(tuple(PRECISIONS)),
    "train.compile": Options((True, False)),
    "split.folds": Interval(int, 1, meaning="1: fit and score every sample; k >= 2: k-fold cross-validation"),
    "split.repeats": POSITIVE_INT,
    "dataset.max_samples": Optional(POSITIVE_INT),
    "dataset.patch": Optional(POSITIVE_INT.means("the side of the square patches cut from each image")),
    "dataset.patches_per_image": POSITIVE_INT,
    "dataset.batch_shift": Optional(POSITIVE.means("feature standard deviations between the two batches")),
    "constraint.groups": Options(("inputs", "outputs")),
    "preprocess.center_images": Options((True, False)),
}


def validate_config(cfg) -> None:
    """Raise UsageError with a one-line message for the first problem found."""
    check(cfg, CORE)
    plugins = [(DATASETS, cfg.dataset.name, cfg.dataset, "dataset."),
               (MODELS, cfg.model.name, cfg.model, "model."),
               (CONSTRAINTS, cfg.constraint.name, cfg.constraint, "constraint."),
               # p and beta are typed at the top level and interpolated into the regularizer
               (REGULARIZERS, cfg.regularizer.name, cfg.regularizer, ""),
               (SCHEDULES, cfg.train.schedule, cfg.train, "train."),
               (OPTIMIZERS, str(cfg.train.optimizer).lower(), cfg.train, "train."),
               (CORRUPTIONS, cfg.train.get("corruption", NO_CORRUPTION), cfg.train, "train.")]
    plugins += [(METRICS, name, cfg.eval, "eval.") for name in cfg.eval.metrics]
    if "logger" in cfg:
        plugins.append((LOGGERS, cfg.logger.name, cfg.logger, "logger."))
    for registry, name, node, prefix in plugins:
        check(node, registry.parameters(name), prefix, root=cfg)
