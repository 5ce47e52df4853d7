"""Metrics: each module registers ``compute(inputs: EvalInputs) -> dict``.

Metrics take plain arrays (codes, labels, probabilities, reconstructions, inputs,
weights and masks) and never import a model, so every model family shares them.
A metric returns {} when the inputs it needs are absent.
"""

from ..registry import Registry, load_plugins
from ._inputs import EvalInputs

METRICS: Registry = Registry("metric")

__all__ = ["METRICS", "EvalInputs"]

load_plugins(__name__)
