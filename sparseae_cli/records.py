"""Run records: metrics.json written last and atomically, and the config hash."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import UsageError

METRICS_FILE = "metrics.json"
CONFIG_FILE = "config_resolved.yaml"  # the run's config, every interpolation resolved
# Keys (dotted for nested ones) that change where or how fast a run goes, not what it computes.
HASH_EXCLUDED = ("data_dir", "device", "threads", "progress", "resume", "train.compile_optimizer",
                 "model.train.compile_optimizer", "train.compile", "model.train.compile", "logger",
                 "train.share_phase1", "train.share_phase2")
# Options added after runs were recorded hash as if absent at their default value, so those
# runs keep their hash (a finished run is not retrained, a checkpoint still resumes).
HASH_NEUTRAL = {"train.precision": "fp32", "regularizer.on": "code", "train.corruption": "none",
                "train.noise_factor": 0.5, "preprocess.center_images": False,
                "dataset.patch": None, "dataset.patches_per_image": 1}
_ANY = object()


def _without(config: dict, rules: dict) -> dict:
    """``config`` less the keys of ``rules`` (dotted for nested ones) whose value is _ANY or
    equals the rule's value."""
    kept = {}
    for key, value in config.items():
        rule = rules.get(key)
        if key in rules and (rule is _ANY or value == rule):
            continue
        if isinstance(value, dict):
            inner = {k.split(".", 1)[1]: r for k, r in rules.items() if k.startswith(f"{key}.")}
            value = _without(value, inner) if inner else value
        kept[key] = value
    return kept


# Not what a run computes: an experiment's published values and table layout (editing them must
# not retrain its runs).
REPORT_ONLY = ("paper",)


def config_hash(config: dict) -> str:
    return _hash(config, (*HASH_EXCLUDED, *REPORT_ONLY))


def same_config(recorded: str | None, config: dict) -> bool:
    """Whether a record's hash is ``config``'s: as hashed now, or as hashed by earlier versions
    (records written then keep counting as finished):
    - before the report-only keys left the hash;
    - before ``train.epochs_phase2`` followed ``train.epochs``: it was 30 by default, a value
      only double descent reads, and only with a constraint (without one, training is plain):
      other runs computed the same thing."""
    if recorded is None:
        return False
    variants = [config]
    train = config.get("train") or {}
    constraint = (config.get("constraint") or {}).get("name")
    phase2_unused = train.get("schedule") != "double_descent" or constraint == "none"
    if phase2_unused and train.get("epochs_phase2") != 30:
        variants.append({**config, "train": {**train, "epochs_phase2": 30}})
    return any(recorded in (config_hash(c), _hash(c, HASH_EXCLUDED)) for c in variants)


def _hash(config: dict, excluded: tuple) -> str:
    rules = {**dict.fromkeys(excluded, _ANY), **HASH_NEUTRAL}
    return digest(_without(config, rules))


def digest(payload) -> str:
    """A short stable hash of a JSON-able payload (keys sorted)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def flatten(config: dict, prefix: str = "") -> dict:
    """{'train': {'lr': 1}} -> {'train.lr': 1}: a config as flat keys, for report columns and
    tracker parameters; lists become their text ('[128, 64, 32]'), so they can be grouped by."""
    flat = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(value) if isinstance(value, (list, tuple)) else value
    return flat


def _plain(value):
    """JSON-safe values: numpy scalars to Python, NaN to null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_json_atomic(path: Path, payload: dict) -> None:
    """Write to a temporary file in the same folder, then rename: never a partial file."""

    def dump(tmp: Path) -> None:
        with open(tmp, "w") as handle:
            json.dump(_plain(payload), handle, indent=2)

    write_atomic(path, dump)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _umask()


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """``write(temporary path)`` in the same folder, then rename onto ``path``: a kill or a full
    disk mid-write leaves the previous file or none, never a truncated one. The temporary name
    keeps the suffix (numpy's savez appends .npz to names without it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.stem}-", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~UMASK)  # mkstemp's 0600 would hide results from the user's group
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_record(path: Path) -> dict | None:
    """The finished run recorded at ``path``, or None (no file, or not a complete record)."""
    try:
        record = read_json_record(path)
    except (OSError, UsageError):
        return None
    return record if record.get("status") == "complete" else None


MAX_RECORD_BYTES = 64 << 20  # a record holds metrics and loss curves: far below this


def read_json_record(path: Path) -> dict:
    """A run's metrics.json, refused in one line when it is too large, not JSON, or not a record.
    Run folders are copied around and downloaded: they are input, not trusted output."""
    if path.stat().st_size > MAX_RECORD_BYTES:
        raise UsageError(f"{path} is {path.stat().st_size >> 20} MB, far above a run record's size; "
                         "it is not a sparseae record")
    try:
        record = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path} is not valid JSON ({type(exc).__name__}); rerun that run") from None
    if not isinstance(record, dict) or not {"config", "dataset", "folds"} <= set(record):
        raise UsageError(f"{path} is not a complete sparseae run record (no config, dataset or folds)")
    return record


def output_folder(path: Path) -> Path:
    """``path`` created as a folder to write into, refused in one line when it is a symbolic link
    (a copied or downloaded run folder could point ``RUN/figures`` anywhere) or a file."""
    if path.is_symlink():
        raise UsageError(f"{path} is a symbolic link; sparseae does not write through links: remove it "
                         "or choose another output folder")
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file; choose an output folder")
    path.mkdir(parents=True, exist_ok=True)
    return path
