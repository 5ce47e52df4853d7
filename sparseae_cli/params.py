"""Declarative parameter constraints, kept next to the code that owns the parameters.

In the manner of scikit-learn's ``_parameter_constraints``: each builder (model, dataset,
regularizer, schedule, optimiser, metric) registers a mapping ``key -> constraint`` with its
registry, and ``validation.validate_config`` checks every chosen plug-in's mapping before any
data is loaded. A key may be dotted (``loss.reduction``) to reach into a nested block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

from omegaconf import OmegaConf

from .errors import UsageError


@dataclass(frozen=True)
class Interval:
    """A number of ``kind`` (``int`` or ``float``) in [low, high], ends open or closed.

    ``closed`` is "both", "left", "right" or "neither"; a None end is unbounded. NaN and
    infinite values never pass (a radius of inf or a learning rate of NaN is a typo).
    """

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"
    meaning: str = ""  # shown in the error, e.g. "the radius of the constraint ball"

    def accepts(self, value) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, Integral):
            return False
        if not isinstance(value, Real) or not math.isfinite(value):
            return False
        left_ok = self.low is None or (value >= self.low if self.closed in ("both", "left") else value > self.low)
        right_ok = self.high is None or (value <= self.high if self.closed in ("both", "right")
                                         else value < self.high)
        return left_ok and right_ok

    def describe(self) -> str:
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>=' if self.closed in ('both', 'left') else '>'} {_number(self.low)}")
        if self.high is not None:
            bounds.append(f"{'<=' if self.closed in ('both', 'right') else '<'} {_number(self.high)}")
        text = " and ".join(bounds) or "finite"
        text = f"an integer {text}" if self.kind is int else text
        return f"{text} ({self.meaning})" if self.meaning else text

    def means(self, meaning: str) -> Interval:
        """The same interval, explained in its error message."""
        return Interval(self.kind, self.low, self.high, self.closed, meaning)


def _number(value: float) -> str:
    """A bound as users type it: whole numbers in full (4294967295, not 4.29e+09)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values."""

    values: tuple
    meaning: str = ""  # shown in the error, e.g. why only these apply

    def accepts(self, value) -> bool:
        return value in self.values

    def describe(self) -> str:
        text = "one of " + ", ".join(map(str, self.values))
        return f"{text} ({self.meaning})" if self.meaning else text


@dataclass(frozen=True)
class Optional:
    """``None`` (YAML null) or whatever ``inner`` accepts."""

    inner: Interval | Options

    def accepts(self, value) -> bool:
        return value is None or self.inner.accepts(value)

    def describe(self) -> str:
        return f"null or {self.inner.describe()}"


@dataclass(frozen=True)
class ListOf:
    """A non-empty list whose every item ``inner`` accepts (e.g. layer sizes [128, 64, 32])."""

    inner: Interval | Options

    def accepts(self, value) -> bool:
        items = OmegaConf.to_container(value) if OmegaConf.is_list(value) else value
        return isinstance(items, (list, tuple)) and len(items) > 0 and all(map(self.inner.accepts, items))

    def describe(self) -> str:
        return f"a non-empty list, each item {self.inner.describe()}"


Constraint = Interval | Options | Optional | ListOf
NON_NEGATIVE = Interval(float, 0, None)
POSITIVE = Interval(float, 0, None, closed="neither")
POSITIVE_INT = Interval(int, 1, None)
NON_NEGATIVE_INT = Interval(int, 0, None)
UNIT_OPEN = Interval(float, 0, 1, closed="neither")
_ABSENT = object()


def check(node, constraints: dict[str, Constraint], prefix: str = "", root=None) -> None:
    """Raise UsageError naming the first key of ``node`` that breaks its constraint.

    Keys absent from ``node`` are skipped: the config, not the constraint, says what is required.
    A key starting with "/" is looked up in ``root`` (the whole config) instead: a plug-in's
    say on another group's choice, e.g. a model fitted without gradients takes no regularizer.
    """
    node = node if OmegaConf.is_config(node) else OmegaConf.create(node)
    for key, constraint in constraints.items():
        if key.startswith("/"):
            check(root, {key[1:]: constraint})
            continue
        value = OmegaConf.select(node, key, default=_ABSENT)
        if value is _ABSENT:
            continue
        if not constraint.accepts(value):
            raise UsageError(f"{prefix}{key} must be {constraint.describe()}, got {value!r}")
