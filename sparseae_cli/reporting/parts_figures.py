"""Figures of the part-based AE report, from saved artifacts: reconstructions of test
images (Figs 4, 9), histograms of their codes (Figs 5, 10), atoms (Figs 6, 11),
max-approximations to dilation (Figs 7, 12), metrics against beta for each p (Figs 8, 13)
and max-approximation error against Hoyer sparsity over a grid (Fig 14)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..activations import activate
from ..errors import UsageError
from ..metrics.dilation import dilate_cross
from ..models import Dictionary
from .figures import _pyplot, _save, image_grid

N_IMAGES = 10


def _dilate(flat: np.ndarray, shape) -> np.ndarray:
    return dilate_cross(torch.as_tensor(flat).reshape(len(flat), *shape)).reshape(len(flat), -1).numpy()


def max_approximations(examples: dict, dictionary: Dictionary, shape) -> np.ndarray:
    atoms = _dilate(dictionary.atoms, shape)
    z = torch.as_tensor(examples["code"] @ atoms)
    if dictionary.bias is not None:
        z = z + torch.as_tensor(dictionary.bias)
    return activate(z, dictionary.activation).numpy()


def model_figures(runs, out: Path) -> list[Path]:
    """One row per run (model or setting) in each figure; the first row shows the inputs."""
    shape = runs[0].spec.image_shape
    examples = [r.examples() for r in runs]
    dictionaries = [r.dictionary() for r in runs]
    labels = [r.label() for r in runs]
    x = examples[0]["x"][:N_IMAGES]
    written = []
    rows = np.stack([x] + [e["reconstruction"][:N_IMAGES] for e in examples])
    written += image_grid(rows, shape, out / "parts_reconstructions", ["input", *labels],
                          "Test images and their reconstructions")
    dilated = _dilate(x, shape)
    approx = [max_approximations({k: v[:N_IMAGES] for k, v in e.items()}, d, shape)
              for e, d in zip(examples, dictionaries)]
    written += image_grid(np.stack([dilated, *approx]), shape, out / "parts_max_approximations",
                          ["dilated input", *labels], "Max-approximations to dilation by the 3x3 cross")
    for run, d in zip(runs, dictionaries):
        atoms = d.atoms[:50]
        span = atoms.max(1, keepdims=True) - atoms.min(1, keepdims=True)
        scaled = (atoms - atoms.min(1, keepdims=True)) / np.where(span > 0, span, 1)
        rows = -(-len(atoms) // 10)  # ten a row; a dictionary of fewer than 50 atoms ends in blanks
        grid = np.zeros((rows * 10, atoms.shape[1]), dtype=scaled.dtype)
        grid[: len(atoms)] = scaled
        written += image_grid(grid.reshape(rows, 10, -1), shape, out / f"parts_atoms_{run.dir.name}",
                              title=f"First {len(atoms)} atoms (each scaled to [0, 1]): {run.label()}")
    written += _save(code_histograms(examples, labels), out / "parts_code_histograms")
    return written


def code_histograms(examples: list[dict], labels: list[str]):
    """Figs 5 and 10: the codes of the first test images, one row of bars per run. Laid out by
    matplotlib's constrained layout, which keeps the title clear of the top row."""
    fig, axes = _pyplot().subplots(len(examples), N_IMAGES, figsize=(N_IMAGES * 1.1, len(examples) * 1.0 + 0.4),
                                   squeeze=False, sharey="row", layout="constrained")
    for r, (e, label) in enumerate(zip(examples, labels)):
        for c in range(N_IMAGES):
            axes[r, c].bar(np.arange(e["code"].shape[1]), e["code"][c], width=1.0)
            axes[r, c].set_xticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", fontsize=7)
    fig.suptitle(f"Codes of the {N_IMAGES} test images", fontsize=9)
    return fig


def split_grid(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs of the p x beta grid (a sparsity regulariser with beta > 0), and the others
    (baselines such as sparse NMF or the unconstrained AE)."""
    regularized = frame["config.beta"].astype(float) > 0
    if "config.regularizer.name" in frame.columns:
        regularized &= frame["config.regularizer.name"] != "none"
    return frame[regularized], frame[~regularized]


def grid_figures(frame: pd.DataFrame, out: Path) -> list[Path]:
    """Metrics against beta for each p (Figs 8, 13), and max-approximation error against Hoyer
    sparsity (Fig 14) with the baselines as labelled points."""
    grid, baselines = split_grid(frame)
    if grid.empty:
        raise UsageError("figures --grid: no run below these folders has a sparsity regulariser with beta > 0")
    plt = _pyplot()
    metrics = [m for m in ("mse", "hoyer_sparsity", "max_approx_error", "max_approx_error_to_reconstruction")
               if m in grid.columns]
    means = grid.groupby(["config.p", "config.beta"])[metrics].mean().reset_index()
    model = ", ".join(sorted(set(grid["config.model.name"].astype(str)))) if "config.model.name" in grid else ""
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for p, group in means.groupby("config.p"):
            group = group.sort_values("config.beta")
            ax.plot(group["config.beta"], group[metric], marker="o", label=f"p={p}")
        ax.set_xscale("log")
        if metric.startswith("max_approx"):
            ax.set_yscale("log")
        ax.set_xlabel("beta")
        ax.set_title(metric, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Metrics against the sparsity strength beta, one line per p ({model})", fontsize=9)
    fig.tight_layout()
    written = _save(fig, out / "parts_metrics_vs_beta")
    fig, ax = plt.subplots(figsize=(4.8, 3.8))
    for p, group in means.groupby("config.p"):
        ax.scatter(group["hoyer_sparsity"], group["max_approx_error"], label=f"p={p}")
    label = "config.tag" if "config.tag" in baselines else "config.model.name"
    for name, group in baselines.groupby(label) if label in baselines else []:
        x, y = group["hoyer_sparsity"].mean(), group["max_approx_error"].mean()
        ax.scatter([x], [y], marker="x", color="black")
        ax.annotate(str(name), (x, y), fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_yscale("log")
    ax.set_xlabel("Hoyer sparsity of the codes")
    ax.set_ylabel("max-approximation error")
    ax.set_title(f"Max-approximation error against sparsity ({model})", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return written + _save(fig, out / "parts_max_approx_vs_sparsity")
