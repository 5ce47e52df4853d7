"""Datasets: each module registers a loader ``load(cfg, data_dir) -> Dataset``.

Datasets know nothing of models. They return arrays plus metadata; splitting and
preprocessing live in ``sparseae_cli.splits`` and ``sparseae_cli.preprocess``.
"""

from ..registry import Registry, load_plugins
from ._base import Dataset

DATASETS: Registry = Registry("dataset")

__all__ = ["DATASETS", "Dataset"]

load_plugins(__name__)
