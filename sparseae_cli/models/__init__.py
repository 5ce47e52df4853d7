"""Models: each module registers a builder ``build(cfg, spec) -> GradientModel | FittedModel``
with its parameter constraints: ``@MODELS.register(name, PARAMETERS)``.

The protocol every model implements (forward/loss/after_step/dictionary/sample, or
fit/encode/decode) is in ``base``, so training, metrics and reports never need to know
which family produced the codes.
"""

from ..registry import Registry, load_plugins
from ._spec import DataSpec
from .base import Dictionary, FittedModel, GradientModel

MODELS: Registry = Registry("model")

__all__ = ["MODELS", "DataSpec", "Dictionary", "FittedModel", "GradientModel"]

load_plugins(__name__)
