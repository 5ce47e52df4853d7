"""Gather the per-fold rows of every completed run under some directories."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from ..errors import UsageError
from ..records import HASH_EXCLUDED, METRICS_FILE, REPORT_ONLY, flatten, read_json_record


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
                config = flatten(record["config"], "config.")
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


# Never a group of their own: where and how fast a run went, what it reports, and the seed
# (tables average over seeds and folds).
NOT_GROUPED = tuple(f"config.{k}" for k in (*HASH_EXCLUDED, *REPORT_ONLY, "seed"))


def varying_keys(frame: pd.DataFrame) -> list[str]:
    """The config columns that tell apart the configurations of these runs: every key that
    varies, but the keys of NOT_GROUPED and those that follow the seed ('model.seed'), each
    kept only when it splits the runs further than the keys kept before it ('model.name', then
    not every model.* key that changes with it). '.name' keys and shorter paths come first."""
    runs = frame.drop_duplicates("run_dir").astype(str)
    seed = [runs["config.seed"]] if "config.seed" in runs else []

    def n_groups(columns: list) -> int:
        return runs.groupby(columns).ngroups if columns else 1

    candidates = [c for c in runs.columns if c.startswith("config.") and not c.startswith(NOT_GROUPED)
                  and runs[c].nunique() > 1 and n_groups([*seed, runs[c]]) > n_groups(seed)]
    candidates.sort(key=lambda c: (not c.endswith(".name"), c.count("."), c))
    kept: list[str] = []
    for column in candidates:
        if n_groups([runs[c] for c in (*kept, column)]) > n_groups([runs[c] for c in kept]):
            kept.append(column)
    return kept
