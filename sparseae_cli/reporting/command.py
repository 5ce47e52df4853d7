"""``sparseae report DIR... --by KEYS``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from .collect import load_runs, resolve_keys
from .tables import DEFAULT_METRICS, aggregate, wide, write_tables


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, via UsageError
        raise UsageError(f"report: {message}; see sparseae report --help")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sparseae report", description="Collect runs into tables (mean ± std).")
    p.add_argument("dirs", nargs="+", help="run or sweep directories (searched recursively)")
    p.add_argument("--by", default="", help="comma-separated keys to group by, e.g. constraint,eta")
    p.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help="comma-separated metrics")
    p.add_argument("--out", default=None, help="output folder (default: DIR/report)")
    p.add_argument("--name", default="report", help="file stem of the tables")
    return p


def report(args: list[str]) -> int:
    opts = parser().parse_args(args)
    frame = load_runs(opts.dirs)
    by = resolve_keys(frame, [k for k in opts.by.split(",") if k])
    metrics = [m for m in opts.metrics.split(",") if m]
    table = aggregate(frame, by, metrics)
    if table.empty:
        raise UsageError(f"report: none of the metrics {', '.join(metrics)} is in these runs")
    display = wide(table, by).rename(columns=lambda c: c.removeprefix("config."))
    out_dir = Path(opts.out) if opts.out else Path(opts.dirs[0]) / "report"
    paths = write_tables(table, display, out_dir, opts.name)
    print(display.to_markdown(index=False))
    print(f"\nsparseae: {frame['run_dir'].nunique()} run(s), {len(frame)} fold(s) -> "
          + ", ".join(str(p) for p in paths.values()))
    return 0
