"""``sparseae report DIR... --by KEYS``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from ..records import output_folder
from .collect import load_runs, resolve_keys, varying_keys
from .tables import DEFAULT_METRICS, aggregate, wide, write_tables


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, via UsageError
        raise UsageError(f"report: {message}; see sparseae report --help")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sparseae report", description="Collect runs into tables (mean ± std).")
    p.add_argument("dirs", nargs="+", help="run or sweep directories (searched recursively)")
    p.add_argument("--by", default=None, help="comma-separated keys to group by, e.g. constraint,eta "
                   "(default: every config key that varies across the runs; --by '' pools them all)")
    p.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help="comma-separated metrics")
    p.add_argument("--out", default=None, help="output folder (default: DIR/report)")
    p.add_argument("--name", default=None, help="file stem of the tables (default: report or the table)")
    p.add_argument("--table", default=None,
                   help="a paper table (e.g. barlaud2021_table1): its layout, with the paper's values")
    return p


def report(args: list[str]) -> int:
    opts = parser().parse_args(args)
    if opts.table:
        return paper_report(opts)
    frame = load_runs(opts.dirs)
    if opts.by is None:
        by = varying_keys(frame)
        print("sparseae: grouped by " + (", ".join(c.removeprefix("config.") for c in by) or "nothing")
              + " (the config keys that vary across these runs; --by chooses)", file=sys.stderr)
    else:
        by = resolve_keys(frame, [k for k in opts.by.split(",") if k])
    metrics = [m for m in opts.metrics.split(",") if m]
    table = aggregate(frame, by, metrics)
    if table.empty:
        raise UsageError(f"report: none of the metrics {', '.join(metrics)} is in these runs")
    display = wide(table, by).rename(columns=lambda c: c.removeprefix("config."))
    out_dir = output_folder(Path(opts.out) if opts.out else Path(opts.dirs[0]) / "report")
    paths = write_tables(table, display, out_dir, opts.name or "report")
    print(display.to_markdown(index=False))
    print(f"\nsparseae: {frame['run_dir'].nunique()} run(s), {len(frame)} fold(s) -> "
          + ", ".join(str(p) for p in paths.values()))
    return 0


def paper_report(opts) -> int:
    from ..cli import conf_dir
    from . import paper_tables

    block = paper_tables.paper_block(opts.table, conf_dir())
    frame = load_runs(opts.dirs)
    out_dir = output_folder(Path(opts.out) if opts.out else Path(opts.dirs[0]) / "report")
    stem = opts.name or opts.table
    if "metrics" in block:  # columns are metrics (e.g. the part-based AE tables)
        table = paper_tables.compare_metrics(frame, block)
        main = paper_tables.layout_metrics(table, block, only_paper_rows=True)
        paths = write_tables(table, main, out_dir, stem)
        every = paper_tables.layout_metrics(table, block)
        if len(every) > len(main):  # a grid beyond the paper's rows: every setting beside it
            paths["all"] = write_tables(table, every, out_dir, f"{stem}_all")["markdown"]
        print(f"{block.get('title', opts.table)} (ours beside the paper's)\n")
        print(main.to_markdown(index=False))
        print(f"\nsparseae: {frame['run_dir'].nunique()} run(s) -> " + ", ".join(str(p) for p in paths.values()))
        return 0
    table = paper_tables.compare(frame, block)
    if table.empty or block["metric"] not in set(table["metric"]):
        raise UsageError(f"report: the runs under {opts.dirs[0]} have no {block['metric']} values")
    main = paper_tables.layout(table, block, block["metric"], with_paper=True)
    paths = write_tables(table, main, out_dir, stem)
    paths["figure"] = paper_tables.plot(table, block, out_dir, stem)[0]
    print(f"{block.get('title', opts.table)}: {block['metric']} (mean ± std over folds and seeds)\n")
    print(main.to_markdown(index=False))
    for metric in paper_tables.EXTRA_METRICS:
        if metric in set(table["metric"]):
            extra = paper_tables.layout(table, block, metric, with_paper=False)
            (out_dir / f"{stem}_{metric}.md").write_text(extra.to_markdown(index=False) + "\n")
            print(f"\n{metric} (not reported by the paper)\n")
            print(extra.to_markdown(index=False))
    print(f"\nsparseae: {frame['run_dir'].nunique()} run(s) -> "
          + ", ".join(str(p) for p in paths.values()))
    return 0
