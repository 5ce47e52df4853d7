"""Figures drawn from saved artifacts only (PNG and PDF)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, stem: Path) -> list[Path]:
    paths = [stem.parent / f"{stem.name}.png", stem.parent / f"{stem.name}.pdf"]  # names may hold dots
    for path in paths:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    _pyplot().close(fig)
    return paths


def image_grid(images: np.ndarray, image_shape, stem: Path, row_labels=None, title="",
               scale: str = "unit") -> list[Path]:
    """``images`` is (rows, cols, features); each row gets a label on the left. ``scale``: "unit"
    shows values in [0, 1] (clipped), "each" stretches every image to its own range, "signed"
    puts 0 at mid-grey (for differences, e.g. latent patterns). NaN cells stay blank."""
    images = _scaled(np.asarray(images, dtype=np.float64), scale)
    plt = _pyplot()
    rows, cols = images.shape[:2]
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9), squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            img = images[r, c].reshape(image_shape)
            img = img[0] if img.shape[0] == 1 else np.transpose(img, (1, 2, 0))
            ax.imshow(np.clip(img, 0, 1), cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        if row_labels is not None:
            axes[r, 0].set_ylabel(str(row_labels[r]), rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    return _save(fig, stem)


def _scaled(images: np.ndarray, scale: str) -> np.ndarray:
    if scale == "unit":
        return images
    with warnings.catch_warnings():  # blank (all-NaN) cells have no range
        warnings.simplefilter("ignore", RuntimeWarning)
        if scale == "signed":
            peak = np.nanmax(np.abs(images), axis=-1, keepdims=True)
            return 0.5 + 0.5 * images / np.where(peak > 0, peak, 1)
        low = np.nanmin(images, axis=-1, keepdims=True)
        span = np.nanmax(images, axis=-1, keepdims=True) - low
        return (images - low) / np.where(span > 0, span, 1)


def latent_pca(panels: list[tuple[str, np.ndarray, np.ndarray]], class_names, stem: Path) -> list[Path]:
    """One scatter per (title, codes, labels): codes projected to 2-D by PCA, coloured by class."""
    from sklearn.decomposition import PCA

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False)
    for ax, (title, codes, labels) in zip(axes[0], panels):
        xy = PCA(n_components=2).fit_transform(codes) if codes.shape[1] > 2 else codes
        for k, name in enumerate(class_names):
            pick = labels == k
            if pick.any():
                ax.scatter(xy[pick, 0], xy[pick, 1], s=6, alpha=0.7, color=f"C{k % 10}", label=name)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("PC 1")
        ax.set_ylabel("PC 2")
    axes[0, -1].legend(fontsize=7, markerscale=2, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    return _save(fig, stem)


def _log_lines(lines: list[tuple[str, np.ndarray]], xlabel: str, ylabel: str, **style):
    """One line per (label, values) against 1, 2, ... on a log y axis: (fig, ax) to finish and save."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in lines:
        ax.plot(np.arange(1, len(values) + 1), values, label=label, **style)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    return fig, ax


def loss_curves(curves: list[tuple[str, list[float]]], stem: Path) -> list[Path]:
    """Training loss against epoch (log scale) for each (label, losses): has the budget converged?"""
    fig, _ = _log_lines(curves, "epoch", "training loss (mean over batches)")
    fig.tight_layout()
    return _save(fig, stem)


def jacobian_spectra(spectra: list[tuple[str, list[float]]], stem: Path) -> list[Path]:
    """Mean singular values of the encoder's Jacobian on test points, largest first, for each
    (label, spectrum): the contractive AE's claim is that most fall below 1 (dashed line). Values
    under ``floor`` (dead code units: numerically zero) are drawn on it."""
    floor = 1e-3
    fig, ax = _log_lines([(label, np.maximum(values, floor)) for label, values in spectra],
                         "singular value rank", "singular value of d code / d x (mean over test points)",
                         marker=".")
    ax.set_ylim(bottom=floor / 2)
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    fig.tight_layout()
    return _save(fig, stem)
