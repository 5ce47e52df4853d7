"""Declarative parameter constraints: the checker, and every plug-in's declaration against
its own YAML (a key that no config holds would never be checked)."""

from __future__ import annotations

import math

import pytest
from omegaconf import OmegaConf

from sparseae_cli.datasets import DATASETS
from sparseae_cli.errors import UsageError
from sparseae_cli.metrics import METRICS
from sparseae_cli.models import MODELS
from sparseae_cli.params import Interval, IntList, Optional, Options, check
from sparseae_cli.regularizers import REGULARIZERS
from sparseae_cli.training.schedules import SCHEDULES

from .conftest import composed


@pytest.mark.parametrize("constraint, good, bad", [
    (Interval(float, 0, None, "neither"), [1e-9, 3, 2.5], [0, -1, math.nan, math.inf, "x", True, None]),
    (Interval(float, 0, 1), [0, 1, 0.5], [-0.01, 1.01]),
    (Interval(int, 2), [2, 10**12], [1, 2.0, "2", False]),
    (Options(("sum", "mean")), ["sum", "mean"], ["avg", None, 1]),
    (Optional(Interval(int, 0)), [None, 0, 7], [-1, 1.5]),
    (IntList(1), [3, [128, 64, 32]], [[], [0], [32, 0], [1.5], "32"]),
])
def test_constraints_accept_and_refuse(constraint, good, bad):
    assert all(constraint.accepts(v) for v in good)
    assert not any(constraint.accepts(v) for v in bad)


def test_check_names_the_key_the_rule_and_the_value():
    node = OmegaConf.create({"loss": {"reduction": "avg"}, "lr": 0.1})
    with pytest.raises(UsageError, match=r"^model.loss.reduction must be one of sum, mean, got 'avg'$"):
        check(node, {"lr": Interval(float, 0, None, "neither"), "loss.reduction": Options(("sum", "mean"))},
              "model.")
    check(node, {"absent.key": Interval(int, 1)})  # absent keys are the config's business


def test_interval_meaning_is_part_of_the_message():
    with pytest.raises(UsageError, match=r"eta must be > 0 \(the radius\), got -1"):
        check({"eta": -1}, {"eta": Interval(float, 0, None, "neither").means("the radius")})


PLUGINS = [(MODELS, "model"), (DATASETS, "dataset"), (REGULARIZERS, "regularizer")]


@pytest.mark.parametrize("registry, group, name",
                         [(r, g, n) for r, g in PLUGINS for n in r])
def test_every_declared_key_is_in_the_plugins_own_config(registry, group, name):
    root = composed(f"{group}={name}")
    cfg = root[group]
    for key in registry.parameters(name):
        where, path = (root, key[1:]) if key.startswith("/") else (cfg, key)  # "/": a root key
        assert OmegaConf.select(where, path, default="<absent>") != "<absent>", f"{group}={name}: {key}"
    check(cfg, registry.parameters(name), root=root)  # and the shipped defaults pass their own rules


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_keys_are_train_keys(name):
    cfg = composed()
    for key in SCHEDULES.parameters(name):
        assert key in cfg.train, key


@pytest.mark.parametrize("name", list(METRICS))
def test_metric_keys_are_eval_keys(name):
    cfg = composed()
    for key in METRICS.parameters(name):
        assert OmegaConf.select(cfg.eval, key, default="<absent>") != "<absent>", key


def test_validation_names_no_plugin():
    """validation.py loops over the registries; plug-in names live with the plug-ins."""
    from pathlib import Path

    import sparseae_cli.validation as validation

    text = Path(validation.__file__).read_text()
    for registry in (MODELS, DATASETS, REGULARIZERS, SCHEDULES, METRICS):
        for name in registry:
            assert f'"{name}"' not in text and f"'{name}'" not in text, name
