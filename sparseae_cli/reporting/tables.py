"""Tidy tables (mean ± std over folds and seeds) written as CSV, Markdown and LaTeX."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DEFAULT_METRICS = [
    "silhouette_test", "silhouette_train", "silhouette_all", "accuracy", "balanced_accuracy", "f1_macro",
    "roc_auc", "mse", "features_kept", "weight_sparsity",
    # single-cell runs: clusters against cell types, batch mixing, archetypal coverage
    "ari", "nmi", "n_clusters", "batch_entropy", "batch_entropy_input", "embedding_ari", "in_simplex_fraction",
]


def aggregate(frame: pd.DataFrame, by: list[str], metrics: list[str]) -> pd.DataFrame:
    """Long table: one row per (group, metric) with mean, std (ddof=1) and n."""
    present = [m for m in metrics if m in frame.columns]
    long = frame.melt(id_vars=by, value_vars=present, var_name="metric").dropna(subset=["value"])
    long["value"] = long["value"].astype(float)
    table = long.groupby([*by, "metric"], sort=True, dropna=False)["value"].agg(
        mean="mean", std="std", n="count"
    )
    table["std"] = table["std"].fillna(0.0)
    order = {m: i for i, m in enumerate(present)}
    table = table.reset_index()
    table["_order"] = table["metric"].map(order)
    return table.sort_values([*by, "_order"]).drop(columns="_order").reset_index(drop=True)


def cell(mean: float, std: float, n: int, digits: int = 3, count: bool = False) -> str:
    """'mean ± std', the spread only over several values; a count that does not vary as an
    integer: '532', not '532.000 ± 0.000'."""
    if count and std == 0:
        return f"{int(mean)}"
    return f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if n > 1 else "")


def count_metrics(table: pd.DataFrame) -> set[str]:
    """Metrics whose every mean is a whole number, some above 1 (features kept, active units):
    counts, not scores that happen to be 0 or 1."""
    means = table.groupby("metric")["mean"]
    return {m for m, values in means if all(float(v).is_integer() for v in values) and values.abs().max() > 1}


def wide(table: pd.DataFrame, by: list[str], digits: int = 3) -> pd.DataFrame:
    """Rows = groups, columns = metrics, cells = 'mean ± std' (``cell``)."""
    counts = count_metrics(table)
    cells = table.assign(cell=[cell(m, s, n, digits, metric in counts) for m, s, n, metric
                               in zip(table["mean"], table["std"], table["n"], table["metric"])])
    order = list(dict.fromkeys(table["metric"]))
    if not by:
        return cells.set_index("metric")["cell"].to_frame().T[order]
    pivot = cells.pivot_table(index=by, columns="metric", values="cell", aggfunc="first")
    return pivot[order].reset_index()


def write_tables(table: pd.DataFrame, display: pd.DataFrame, out_dir: Path, stem: str) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": out_dir / f"{stem}.csv",
        "markdown": out_dir / f"{stem}.md",
        "latex": out_dir / f"{stem}.tex",
    }
    table.to_csv(paths["csv"], index=False)
    paths["markdown"].write_text(display.to_markdown(index=False) + "\n")
    latex = display.rename(columns=latex_text).map(latex_text)
    paths["latex"].write_text(latex.to_latex(index=False, escape=False))
    return paths


LATEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                 "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}


def latex_text(value) -> str:
    """A cell as LaTeX text: every special character escaped (tags and names are user input:
    a tag '\\input{/etc/hostname}' must print, not run), then '±' as math."""
    text = "".join(LATEX_SPECIAL.get(char, char) for char in str(value))
    return text.replace("±", r"$\pm$")
