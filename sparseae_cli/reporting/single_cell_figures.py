"""``sparseae figures --single-cell RUN...``: the single-cell views, from saved artifacts only.

- ``embedding``: one row per run, the cells' 2-D code coloured by cell type, by cluster (runs
  that cluster; "unassigned" in grey) and by batch of origin (data with batches). Codes wider
  than 2 are shown on their first two principal components; archetypal codes on the polygon of
  their archetypes (each cell at sum_j b_j v_j, v_j the polygon's corners), the usual picture
  of archetypal analysis.
- ``archetype_genes.csv``: for every archetypal run, each archetype's ``TOP`` features by
  decoded value (on the preprocessed scale: standardised data ranks genes against the average
  cell).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..artifacts import RunArtifacts
from ..errors import UsageError
from ..records import write_atomic
from .figures import _pyplot, _save

TOP = 10
UNASSIGNED_GREY = "#bbbbbb"


def polygon(k: int) -> np.ndarray:
    """k corners of a regular polygon on the unit circle, the first at the top."""
    angles = np.pi / 2 + 2 * np.pi * np.arange(k) / k
    return np.column_stack([np.cos(angles), np.sin(angles)])


def planar(codes: np.ndarray, archetypal: bool) -> tuple[np.ndarray, str]:
    """2-D coordinates of the codes and what they are."""
    if archetypal:
        return codes @ polygon(codes.shape[1]), "archetype coordinates"
    if codes.shape[1] == 2:
        return codes, "embedding"
    from sklearn.decomposition import PCA

    return PCA(2, random_state=0).fit_transform(codes), "codes, first two PCs"


def _scatter(ax, points: np.ndarray, values: np.ndarray, names: list[str] | None, title: str) -> None:
    plt = _pyplot()
    palette = plt.get_cmap("tab20")
    for i, value in enumerate(np.unique(values)):
        chosen = values == value
        colour = UNASSIGNED_GREY if value == -1 else palette(i % 20)
        named = names and 0 <= value < len(names)
        label = "unassigned" if value == -1 else (names[value] if named else str(value))
        ax.scatter(*points[chosen].T, s=4, color=colour, label=label, linewidths=0)
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    if len(np.unique(values)) <= 12:
        ax.legend(fontsize=5, markerscale=2, loc="best", frameon=False)


def _column(codes: dict, key: str, n: int, run: RunArtifacts) -> np.ndarray | None:
    values = codes.get(key)
    if values is None:
        return None
    if values.shape != (n,) or not np.issubdtype(values.dtype, np.integer):
        raise UsageError(f"{run.dir}: {key} does not hold one integer per cell; rerun that run")
    return values


def embedding_figure(runs: list[RunArtifacts], out: Path) -> list[Path]:
    plt = _pyplot()
    fig, axes = plt.subplots(len(runs), 3, figsize=(10, 3.2 * len(runs)), squeeze=False)
    for row, run in zip(axes, runs):
        codes = run.codes()
        code = codes["code_test"]
        archetypal = run.archetypes() is not None
        points, what = planar(code, archetypal)
        labels = _column(codes, "y_test", len(code), run)
        if archetypal:
            for j, corner in enumerate(polygon(code.shape[1])):
                row[0].annotate(f"A{j + 1}", corner, fontsize=7, ha="center")
        _scatter(row[0], points, labels, run.class_names, f"{run.label()}: {what} by cell type")
        for ax, key, title in ((row[1], "clusters_test", "by cluster"), (row[2], "groups_test", "by batch")):
            values = _column(codes, key, len(code), run)
            if values is None:
                ax.axis("off")
                continue
            _scatter(ax, points, values, None, f"{run.label()}: {title}")
    return _save(fig, out / "embedding")


def archetype_genes(runs: list[RunArtifacts], out: Path) -> list[Path]:
    rows = []
    for run in runs:
        found = run.archetypes()
        if found is None:
            continue
        archetypes, names = found
        for j, profile in enumerate(archetypes):
            top = np.argsort(-profile, kind="stable")[:TOP]
            rows += [{"run": run.label(), "archetype": f"A{j + 1}", "rank": r + 1, "feature": names[i],
                      "value": float(profile[i])} for r, i in enumerate(top)]
    if not rows:
        return []
    path = out / "archetype_genes.csv"
    write_atomic(path, lambda tmp: pd.DataFrame(rows).to_csv(tmp, index=False))
    return [path]


def single_cell_figures(runs: list[RunArtifacts], out: Path) -> list[Path]:
    return embedding_figure(runs, out) + archetype_genes(runs, out)
