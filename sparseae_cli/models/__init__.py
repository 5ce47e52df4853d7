"""Models: each module registers a builder ``build(cfg, spec) -> nn.Module``.

Every model exposes ``encode(x)``, ``decode(z)``, ``forward(x) -> dict`` and
``loss(x, y, outputs) -> (total, parts)``, so training, metrics and reports never
need to know which family produced the codes.
"""

from ..registry import Registry, load_plugins
from ._spec import DataSpec

MODELS: Registry = Registry("model")

__all__ = ["MODELS", "DataSpec"]

load_plugins(__name__)
