"""Theodosis & Ba's figures (ICASSP 2023), drawn from saved runs (``sparseae figures
--class-structure RUN...``), one panel or row per run:

- Fig 2: pairwise Euclidean distances between the group-norm vectors of ``per_class`` test
  codes of every class, ordered by class (dark diagonal blocks: class structure);
- Fig 3: class-mean activity, mean |code unit| over each class's test codes (every class, not
  only the paper's digit 7 and airplanes), group boundaries marked;
- Fig 4: the atoms, one row per group (each group scaled to [0, 1] on its own, as the authors'
  plot), or the first atoms of an ungrouped dictionary (one common scale).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.distance import pdist, squareform

from ..errors import UsageError
from ..metrics.group_structure import DEFAULT_PER_CLASS, group_norm_codes, per_class_sample
from .figures import _pyplot, _save, image_grid

MAX_ATOMS = 320  # atoms drawn for an ungrouped dictionary
ATOMS_PER_ROW = 32


def code_groups_of(run, codes: dict[str, np.ndarray]) -> np.ndarray | None:
    """The saved group index of every code unit, checked against the codes (a copied run folder
    may hold anything); None when ungrouped (every group a single unit)."""
    groups = codes.get("code_groups")
    if groups is None:
        return None
    width = codes["code_test"].shape[1]
    if groups.ndim != 1 or len(groups) != width or not np.issubdtype(groups.dtype, np.integer):
        raise UsageError(f"{run.dir}: code_groups in its codes file does not give one integer group per "
                         f"code unit ({width}); rerun that run")
    return groups if len(np.unique(groups)) < width else None  # groups of one unit: ungrouped


def distance_matrices(runs, out: Path, per_class: int = DEFAULT_PER_CLASS) -> list[Path]:
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4), squeeze=False)
    for ax, run in zip(axes[0], runs):
        codes = run.codes()
        rows = per_class_sample(codes["y_test"], per_class, seed=0)
        norms = group_norm_codes(codes["code_test"][rows], code_groups_of(run, codes))
        image = ax.imshow(squareform(pdist(norms)), cmap="viridis")
        counts = np.bincount(codes["y_test"][rows])
        edges = np.cumsum(counts[counts > 0])
        ax.set_xticks(edges - counts[counts > 0] / 2, [run.class_names[c] for c in np.flatnonzero(counts)],
                      fontsize=6, rotation=90)
        ax.set_yticks([])
        ax.set_title(run.label(), fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.046)
    fig.suptitle(f"Pairwise distances of group-norm codes, {per_class} test images a class (Fig 2)", fontsize=9)
    fig.tight_layout()
    return _save(fig, out / "class_structure_distances")


def class_mean_activity(runs, out: Path) -> list[Path]:
    plt = _pyplot()
    fig, axes = plt.subplots(len(runs), 1, figsize=(9, 2.2 * len(runs)), squeeze=False)
    for ax, run in zip(axes[:, 0], runs):
        codes = run.codes()
        magnitude, labels = np.abs(codes["code_test"]), codes["y_test"]
        classes = np.unique(labels)
        means = np.stack([magnitude[labels == c].mean(0) for c in classes])
        ax.imshow(means, aspect="auto", cmap="magma", interpolation="nearest")
        groups = code_groups_of(run, codes)
        if groups is not None:
            for edge in np.flatnonzero(np.diff(groups)) + 0.5:
                ax.axvline(edge, color="white", linewidth=0.5)
        ax.set_yticks(range(len(classes)), [run.class_names[c] for c in classes], fontsize=6)
        ax.set_ylabel(run.label(), fontsize=8)
    axes[-1, 0].set_xlabel("code unit")
    fig.suptitle("Class-mean activity: mean |code| over each class's test images (Fig 3)", fontsize=9)
    fig.tight_layout()
    return _save(fig, out / "class_structure_activity")


def _scaled(atoms: np.ndarray) -> np.ndarray:
    span = atoms.max() - atoms.min()
    return (atoms - atoms.min()) / (span if span > 0 else 1)


def atoms_by_group(run, out: Path) -> list[Path]:
    dictionary, codes = run.dictionary(), run.codes()
    shape = run.spec.image_shape
    if dictionary is None or shape is None:
        return []
    atoms, groups = dictionary.atoms, code_groups_of(run, codes)
    if groups is not None:
        members = [atoms[groups == g] for g in np.unique(groups)]
        width = max(len(m) for m in members)
        grid = np.zeros((len(members), width, atoms.shape[1]), dtype=np.float32)
        for g, m in enumerate(members):
            grid[g, : len(m)] = _scaled(m)
        labels, title = [f"group {g}" for g in range(len(members))], "Atoms, one row per group (Fig 4)"
    else:
        shown = atoms[:MAX_ATOMS]
        rows = -(-len(shown) // ATOMS_PER_ROW)
        grid = np.zeros((rows * ATOMS_PER_ROW, atoms.shape[1]), dtype=np.float32)
        grid[: len(shown)] = _scaled(shown)
        grid = grid.reshape(rows, ATOMS_PER_ROW, -1)
        labels, title = None, f"First {len(shown)} atoms (Fig 4)"
    return image_grid(grid, shape, out / f"class_structure_atoms_{run.dir.name}", row_labels=labels,
                      title=f"{title}: {run.label()}")


def class_structure_figures(runs, out: Path) -> list[Path]:
    written = distance_matrices(runs, out) + class_mean_activity(runs, out)
    for run in runs:
        written += atoms_by_group(run, out)
    return written
