"""Gather the per-fold rows of every completed run under some directories."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from ..errors import UsageError
from ..records import METRICS_FILE, read_json_record


def _flatten(node, prefix: str = "") -> dict:
    flat = {}
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        elif not isinstance(value, list):
            flat[name] = value
    return flat


def load_runs(dirs: list[str]) -> pd.DataFrame:
    """One row per (run, seed, fold): short params, every config key (dotted) and the metrics."""
    rows, skipped = [], []
    for top in dirs:
        path = Path(top)
        if not path.exists():
            raise UsageError(f"report: no such directory '{top}'; give a run or sweep directory")
        for record_path in sorted(path.rglob(METRICS_FILE)):
            try:
                record = read_json_record(record_path)
                if record.get("status") != "complete":
                    raise ValueError("incomplete")
                config = _flatten(record["config"], "config.")
                for fold in record["folds"]:
                    metrics = {k: v for k, v in fold.items() if not isinstance(v, (dict, list))}
                    rows.append({**record["params"], **config, **metrics,
                                 "run_dir": str(record_path.parent),
                                 "config_hash": record.get("config_hash")})
            except (ValueError, KeyError, TypeError, AttributeError, UsageError):
                skipped.append(str(record_path))
    if skipped:
        print(f"sparseae: skipped {len(skipped)} unreadable metrics.json: {skipped[0]} ...",
              file=sys.stderr)
    links = [str(p) for top in dirs for p in linked_folders(Path(top))]
    if links:  # not followed (a link can point anywhere): say so rather than drop them silently
        print(f"sparseae: left out {len(links)} linked folder(s), not followed: {', '.join(links[:3])}"
              f"{' ...' if len(links) > 3 else ''}", file=sys.stderr)
    if not rows:
        raise UsageError(
            f"report: no completed runs (metrics.json) under {', '.join(dirs)}; "
            "point it at the output directory of a finished run or sweep"
        )
    return pd.DataFrame(rows)


def linked_folders(top: Path) -> list[Path]:
    """Symbolic links to folders below ``top`` (rglob does not descend into them)."""
    found = []
    for root, subdirs, _ in os.walk(top):
        found += [Path(root) / d for d in subdirs if (Path(root) / d).is_symlink()]
    return sorted(found)


def resolve_keys(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """Map each key to a column: a short name (eta) or a dotted config key (train.lr)."""
    columns = []
    for key in keys:
        for candidate in (key, f"config.{key}"):
            if candidate in frame.columns:
                columns.append(candidate)
                break
        else:
            short = [c for c in frame.columns if not c.startswith("config.")]
            raise UsageError(
                f"report: unknown --by key '{key}'; use one of {', '.join(short[:12])} "
                "or any dotted config key (e.g. train.lr)"
            )
    return columns
