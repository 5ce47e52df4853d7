"""Paper tables: our values in the paper's layout, beside the published ones.

Each reproduction is an experiment config (conf/experiment/*.yaml) with a ``paper``
block: the table's name, the metric, which config keys index its rows and columns,
and the published values. The table is rebuilt from metrics.json files only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from ..errors import UsageError
from .collect import resolve_keys
from .tables import aggregate

EXTRA_METRICS = ["accuracy", "features_kept"]  # not in the paper; users want them


def paper_blocks(conf_dir: Path) -> dict[str, dict]:
    blocks = {}
    for path in sorted((conf_dir / "experiment").glob("*.yaml")):
        paper = OmegaConf.load(path).get("paper")
        if paper is not None and "table" in paper:
            blocks[str(paper.table)] = {**OmegaConf.to_container(paper), "experiment": path.stem}
    return blocks


def paper_block(name: str, conf_dir: Path) -> dict:
    blocks = paper_blocks(conf_dir)
    if name not in blocks:
        raise UsageError(f"unknown paper table '{name}'; choose one of: {', '.join(blocks) or 'none'}")
    return blocks[name]


def _same(a, b) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def compare(frame: pd.DataFrame, block: dict) -> pd.DataFrame:
    """Long table: row key, column key, metric, mean, std, n, paper, diff."""
    by = resolve_keys(frame, [block["rows"], block["columns"]])
    table = aggregate(frame, by, [block["metric"], *EXTRA_METRICS])
    table = table.rename(columns={by[0]: block["rows"], by[1]: block["columns"]})
    published = []
    for _, row in table.iterrows():
        value = np.nan
        if row["metric"] == block["metric"]:
            for r, cols in block["values"].items():
                for c, v in cols.items():
                    if _same(r, row[block["rows"]]) and _same(c, row[block["columns"]]) and v is not None:
                        value = float(v)
        published.append(value)
    table["paper"] = published
    table["diff"] = table["mean"] - table["paper"]
    return table


def layout(table: pd.DataFrame, block: dict, metric: str, with_paper: bool) -> pd.DataFrame:
    """The paper's layout: rows = row key (and ours / paper / diff), columns = column key."""
    rows_key, cols_key = block["rows"], block["columns"]
    part = table[table["metric"] == metric]
    lines = []
    for row_value, group in part.groupby(rows_key, sort=False):
        cells = {c: group[group[cols_key] == c].iloc[0] for c in group[cols_key]}
        lines.append({rows_key: row_value, "": "ours",
                      **{c: f"{r['mean']:.3f} ± {r['std']:.3f}" for c, r in cells.items()}})
        if with_paper:
            lines.append({rows_key: row_value, "": "paper",
                          **{c: "" if np.isnan(r["paper"]) else f"{r['paper']:.3f}" for c, r in cells.items()}})
            lines.append({rows_key: row_value, "": "diff",
                          **{c: "" if np.isnan(r["diff"]) else f"{r['diff']:+.3f}" for c, r in cells.items()}})
    return pd.DataFrame(lines).rename(columns=lambda c: f"{cols_key}={c}" if not isinstance(c, str) else c)


def plot(table: pd.DataFrame, block: dict, out_dir: Path, stem: str) -> list[Path]:
    """The metric against the column key, one line per row key, paper points overlaid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows_key, cols_key, metric = block["rows"], block["columns"], block["metric"]
    part = table[table["metric"] == metric]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for i, (row_value, group) in enumerate(part.groupby(rows_key, sort=False)):
        group = group.sort_values(cols_key)
        color = f"C{i}"
        ax.errorbar(group[cols_key], group["mean"], yerr=group["std"], marker="o", color=color,
                    capsize=3, label=f"{row_value} (ours)")
        known = group.dropna(subset=["paper"])
        ax.plot(known[cols_key], known["paper"], linestyle="--", marker="s", color=color,
                alpha=0.6, label=f"{row_value} (paper)")
    if pd.api.types.is_numeric_dtype(part[cols_key]) and part[cols_key].min() > 0:
        ax.set_xscale("log")
    ax.set_xlabel(cols_key)
    ax.set_ylabel(metric)
    ax.set_title(block.get("title", stem), fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.pdf"]
    for path in paths:
        fig.savefig(path, dpi=150)
    plt.close(fig)
    return paths


BUDGET_COLUMNS = [("epochs_trained", "epochs", "{:.0f}"),
                  ("loss_fall_per_epoch", "loss fall / epoch (last 10)", "{:.3%}")]
BUDGET = [metric for metric, _, _ in BUDGET_COLUMNS]


ROW = "setting"  # the column that names a row of a metrics table


def paper_rows(block: dict) -> dict[str, dict]:
    """The paper's rows in its order: label -> published values (None: not reported)."""
    metrics = list(block["metrics"])
    return {row_label(spec, block): {m: spec.get(m) for m in metrics} for spec in block["values"]}


def row_label(values: dict, block: dict) -> str:
    """A row's name: its ``label``, else the block's ``label`` format filled with its keys."""
    if values.get("label"):
        return str(values["label"])
    return block["label"].format(**{k: values.get(k) for k in block["rows"]})


def label_runs(frame: pd.DataFrame, block: dict) -> pd.Series:
    """Each run's row: the first paper row whose keys (those it gives among ``block["rows"]``)
    all equal the run's, else a row of its own named by the block's ``label`` format."""
    columns = dict(zip(block["rows"], resolve_keys(frame, list(block["rows"]))))

    def label(run) -> str:
        for spec in block["values"]:
            if all(_same(run[columns[k]], v) for k, v in spec.items() if k in columns):
                return row_label(spec, block)
        return row_label({k: run[c] for k, c in columns.items()}, block)

    return frame.apply(label, axis=1)


def compare_metrics(frame: pd.DataFrame, block: dict) -> pd.DataFrame:
    """For tables whose columns are metrics: one line per (row, metric), rows keyed on the
    config values the block names (e.g. model, p, beta), never on free-text tags."""
    metrics = list(block["metrics"])
    if "svm_accuracy" in metrics:
        metrics.append("svm_accuracy_std")
    metrics += [m for m in BUDGET if m in frame.columns]
    table = aggregate(frame.assign(**{ROW: label_runs(frame, block)}), [ROW], metrics)
    published = paper_rows(block)
    values = [(published.get(str(row[ROW])) or {}).get(row["metric"]) for _, row in table.iterrows()]
    table["paper"] = [np.nan if v is None else float(v) for v in values]
    table["diff"] = table["mean"] - table["paper"]
    return table


def layout_metrics(table: pd.DataFrame, block: dict, only_paper_rows: bool = False) -> pd.DataFrame:
    """Rows in the paper's order (then any others, unless only_paper_rows), for each metric
    'ours' and 'paper' side by side."""
    names = set(table[ROW].astype(str))
    order = [r for r in paper_rows(block) if r in names]
    if not only_paper_rows or not order:
        order += [r for r in dict.fromkeys(table[ROW].astype(str)) if r not in order]
    # A metric the paper gives for no row gets one column of ours, not an empty "paper" column.
    published = {m for values in paper_rows(block).values() for m, v in values.items() if v is not None}
    lines = []
    for row in order:
        part = table[table[ROW].astype(str) == row].set_index("metric")
        line = {ROW: row}
        for metric in block["metrics"]:
            ours_column = f"{metric} ours" if metric in published else metric
            if metric not in part.index:
                line[ours_column] = ""
                if metric in published:
                    line[f"{metric} paper"] = ""
                continue
            r = part.loc[metric]
            ours = f"{r['mean']:.4g}"
            if metric == "svm_accuracy" and "svm_accuracy_std" in part.index:
                ours += f" ({part.loc['svm_accuracy_std', 'mean']:.3f})"
            line[ours_column] = ours
            if metric in published:
                line[f"{metric} paper"] = "" if np.isnan(r["paper"]) else f"{r['paper']:.4g}"
        # Ours only: the budget behind the row and whether its loss had stopped falling.
        for metric, column, fmt in BUDGET_COLUMNS:
            if metric in part.index:
                line[column] = fmt.format(part.loc[metric, "mean"])
        lines.append(line)
    return pd.DataFrame(lines).fillna("")  # budget cells stay empty for the NMFs
