"""Compose and check a command line's overrides before Hydra runs anything.

Hydra reports bad overrides with multi-line messages and exit status 1; sparseae
refuses them up front with one line, the valid choices, and exit status 2. Sweeps
are checked value by value (each swept value against the first of the others).
"""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from . import launcher
from .config_tree import config_groups
from .errors import UsageError
from .validation import validate_config


def _variants(overrides: list[str]) -> list[list[str]]:
    parser = OverridesParser.create()
    try:
        parsed = parser.parse_overrides(overrides)
    except HydraException as exc:
        raise UsageError(f"cannot parse override: {_one_line(exc)}") from None
    choices = []
    for override, text in zip(parsed, overrides):
        if override.is_sweep_override() and override.key_or_group.startswith("hydra."):
            key, _, value = text.partition("=")
            raise UsageError(f"cannot sweep over Hydra's own config ('{text}'); to set a sweep grid, "
                             f"quote the value: {key}='{value}'")
        if override.is_sweep_override():
            prefix = text.split("=", 1)[0]
            choices.append([f"{prefix}={v}" for v in override.sweep_string_iterator()])
        else:
            choices.append([text])
    base = [c[0] for c in choices]
    variants = [base]
    for i, options in enumerate(choices):
        for option in options[1:]:
            variants.append(base[:i] + [option] + base[i + 1 :])
    return variants


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _did_you_mean(given: str, valid) -> str:
    """' (did you mean 'x'?)' for the closest valid name, or '' when none is close (difflib)."""
    close = difflib.get_close_matches(given, [str(v) for v in valid], n=1, cutoff=0.7)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _key_paths(node, prefix: str = "") -> list[str]:
    """Every dotted key of a composed config."""
    paths = []
    for key in node:
        path = f"{prefix}{key}"
        paths.append(path)
        child = node._get_node(key)
        if OmegaConf.is_dict(child):
            paths += _key_paths(child, f"{path}.")
    return paths


def _closest_key(key: str, base) -> str:
    """The suggestion for an unknown key: the same name elsewhere ('epochs' -> 'train.epochs'),
    else the closest full path ('train.epoch' -> 'train.epochs'), else the closest leaf name."""
    paths = _key_paths(base)
    leaf = key.rpartition(".")[2]
    same_leaf = [p for p in paths if p.rpartition(".")[2] == leaf]
    if same_leaf:
        return f" (did you mean '{same_leaf[0]}'?)"
    return _did_you_mean(key, paths) or _did_you_mean(leaf, paths)


def _check_group_choices(overrides: list[str], groups: dict[str, list[str]]) -> None:
    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.key_or_group
        if key not in groups:
            continue
        values = override.sweep_string_iterator() if override.is_sweep_override() else [
            override.value()
        ]
        for value in values:
            if value is not None and str(value) not in groups[key] and str(value) != "null":
                raise UsageError(f"unknown {key} '{value}'{_did_you_mean(str(value), groups[key])}; "
                                 f"choose one of: {', '.join(groups[key])}")


def _check_keys(variant: list[str], groups: dict[str, list[str]], config_name: str) -> None:
    """Keys set on the command line must exist once the chosen groups are composed."""
    parsed = OverridesParser.create().parse_overrides(variant)
    chosen = [t for o, t in zip(parsed, variant) if o.key_or_group in groups]
    base = compose(config_name, overrides=chosen)
    for override in parsed:
        key = override.key_or_group
        if key in groups or key.startswith("hydra") or override.is_add() or override.is_force_add():
            continue
        parent, _, leaf = key.rpartition(".")
        node = OmegaConf.select(base, parent) if parent else base
        if not OmegaConf.is_dict(node) or leaf not in node:
            where = f"'{parent}'" if parent else "the top level"
            keys = [str(k) for k in node] if OmegaConf.is_dict(node) else []
            close = _closest_key(key, base)
            raise UsageError(
                f"unknown config key '{key}'{close}; valid keys at {where}: {', '.join(keys) or 'none'} "
                "(prefix with + to add a new key)"
            )


def _fixed(overrides: list[str]) -> tuple[list, list[str]]:
    """The parsed overrides, and the texts of those that are not sweeps."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    return parsed, [t for o, t in zip(parsed, overrides) if not o.is_sweep_override()]


def _check_sweeps_of_sweeps(overrides: list[str], groups: dict[str, list[str]], config_name: str,
                            grid) -> None:
    """A group choice that sets the sweep itself (hydra.sweeper.params, e.g. a baseline that
    replaces the p x beta grid) cannot be one value of a command-line sweep: Hydra expands the
    sweep before any choice is composed, so each value would run once per grid point. ``grid``:
    the sweep without that choice."""
    parsed, fixed = _fixed(overrides)
    for override in (o for o in parsed if o.is_sweep_override() and o.key_or_group in groups):
        for value in override.sweep_string_iterator():
            choice = f"{override.key_or_group}={value}"
            own = compose(config_name, overrides=[*fixed, choice], return_hydra_config=True)
            if own.hydra.sweeper.params != grid:
                raise UsageError(f"{choice} sets the sweep itself (hydra.sweeper.params), so it cannot be one "
                                 f"value of a sweep; run each {override.key_or_group} on its own")


def _check_output_dir(hydra_cfg, multirun: bool) -> None:
    """The run's (or sweep's) folder must be a folder that can be created and written."""
    sweep = multirun or hydra_cfg.mode == RunMode.MULTIRUN
    key = "hydra.sweep.dir" if sweep else "hydra.run.dir"
    folder = Path(str(hydra_cfg.sweep.dir if sweep else hydra_cfg.run.dir)).expanduser().absolute()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        what = "is a file" if existing == folder else f"cannot be created: {existing} is a file"
        raise UsageError(f"{key}={folder} {what}; choose a folder")
    try:  # a real probe: permission bits say nothing to root, or of /proc and read-only mounts
        os.rmdir(tempfile.mkdtemp(prefix=".sparseae-probe-", dir=existing))
    except OSError as exc:
        raise UsageError(f"{key}={folder} cannot be written ({existing}: {exc.strerror}); choose "
                         "another folder") from None


def _config_sweep(overrides: list[str], grid) -> list[str]:
    """The sweep an experiment's config declares (``grid``, its hydra.sweeper.params) as
    overrides, less the keys the command line sets itself (those win, as in Hydra's sweeper)."""
    given = {o.key_or_group for o in _fixed(overrides)[0]}
    return [f"{key}={value}" for key, value in (grid or {}).items() if key not in given]


def check_overrides(overrides: list[str], conf_dir: Path, config_name: str = "config",
                    multirun: bool = False) -> None:
    """Every value of the command line and of the experiment's own sweep, checked before any job."""
    groups = config_groups(conf_dir)
    variants = _variants(overrides)  # parses, and refuses sweeps over Hydra's own keys
    _check_group_choices(overrides, groups)
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(conf_dir), version_base="1.3"):
            try:
                for variant in variants:
                    _check_keys(variant, groups, config_name)
                base = compose(config_name, overrides=_fixed(overrides)[1], return_hydra_config=True).hydra
                grid = base.sweeper.get("params")
                for variant in _variants(overrides + _config_sweep(overrides, grid)):
                    validate_config(compose(config_name, overrides=variant))
                _check_sweeps_of_sweeps(overrides, groups, config_name, grid)
                _check_output_dir(base, multirun)
                launcher.check_settings(base.launcher)
            except (HydraException, OmegaConfBaseException) as exc:
                raise UsageError(_one_line(exc)) from None
    finally:
        GlobalHydra.instance().clear()
