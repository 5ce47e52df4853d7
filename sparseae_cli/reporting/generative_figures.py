"""The appendix figures of Pyle's "A Sparse VAE", for any runs of generative models side by side:

- ``reconstructions``: the same test images, then each run's reconstruction of them (Figs 3-5);
- ``patterns_<run>``: each active latent's pattern, decode(c + s_j e_j) - decode(c), grey = no
  change (Figs 6-8; ``metrics.latent_patterns`` measures them);
- ``latent_spread``: the 2-D codes of the test set coloured by class (Figs 9, 11, 13);
- ``latent_grid_<run>``: a 2-D model decoded over a grid of its prior's quantiles (inverse CDF
  at 0.05 ... 0.95 on each axis; Figs 10, 12, 14);
- ``prior_samples``: draws from each run's prior, decoded, one row per run.

Image data in [0, 1] is shown as is; other data (the synthetic patches) is stretched per image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..metrics.active_units import active_mask
from ..metrics.latent_patterns import latent_patterns
from .figures import _pyplot, _save, image_grid

N_IMAGES = 10
GRID = 15  # latent-grid steps per axis
QUANTILES = (0.05, 0.95)
SAMPLES = 10  # prior draws per run
SEED = 0


def _scale_of(run) -> str:
    """Show [0, 1] images as they are; stretch other data."""
    return "unit" if run.cfg.dataset.name in ("mnist", "fashion_mnist", "cifar10", "digits") \
        and not run.cfg.preprocess.get("center_images", False) else "each"


def _decoder(model):
    @torch.no_grad()
    def decode(codes: np.ndarray) -> np.ndarray:
        return model.decode(torch.as_tensor(codes, dtype=torch.float32)).numpy()
    return decode


def reconstructions(runs, out: Path) -> list[Path]:
    examples = [run.examples() for run in runs]
    if any(e is None for e in examples):
        return []
    n = min(N_IMAGES, len(examples[0]["x"]))
    rows = [examples[0]["x"][:n]] + [e["reconstruction"][:n] for e in examples]
    labels = ["input"] + [run.label() for run in runs]
    return image_grid(np.stack(rows), runs[0].spec.image_shape, out / "reconstructions", row_labels=labels,
                      title="Test images and their reconstructions", scale=_scale_of(runs[0]))


def patterns(run, out: Path) -> list[Path]:
    codes = run.codes()["code_train"]
    found = latent_patterns(_decoder(run.model()), codes)
    found[~active_mask(codes)] = np.nan  # an inactive latent draws only decoder noise
    columns = min(10, len(found))
    rows = -(-len(found) // columns)
    padded = np.full((rows * columns, found.shape[1]), np.nan)
    padded[: len(found)] = found
    return image_grid(padded.reshape(rows, columns, -1), run.spec.image_shape, out / f"patterns_{run.dir.name}",
                      title=f"{run.label()}: each latent's pattern (grey: no change; blank: inactive latent)",
                      scale="signed")


def latent_spread(runs, out: Path) -> list[Path]:
    two_d = [run for run in runs if run.codes()["code_test"].shape[1] == 2]
    if not two_d:
        return []
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(two_d), figsize=(4 * len(two_d), 4), squeeze=False)
    for ax, run in zip(axes[0], two_d):
        codes = run.codes()
        points, labels = codes["code_test"], codes["y_test"]
        for k, name in enumerate(run.class_names):
            ax.scatter(*points[labels == k].T, s=2, alpha=0.5, label=name)
        ax.set_title(run.label(), fontsize=9)
        low, high = np.percentile(points, [0.5, 99.5], axis=0)  # a Cauchy code's outliers would hide the rest
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
    axes[0, -1].legend(fontsize=6, markerscale=4, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle("Test codes (posterior locations), coloured by class; axes cut at the 0.5-99.5 percentiles",
                 fontsize=9)
    return _save(fig, out / "latent_spread")


def latent_grid(run, out: Path) -> list[Path]:
    model = run.model()
    steps = torch.linspace(*QUANTILES, GRID)
    p = torch.stack(torch.meshgrid(steps.flip(0), steps, indexing="ij"), -1).reshape(-1, 2)
    z = model.prior_quantiles(p[:, [1, 0]])  # columns: latent 1, rows: latent 2 (top = high)
    if z is None or run.codes()["code_test"].shape[1] != 2:
        return []
    with torch.no_grad():
        decoded = model.decode(z).numpy()
    return image_grid(decoded.reshape(GRID, GRID, -1), run.spec.image_shape, out / f"latent_grid_{run.dir.name}",
                      title=f"{run.label()}: decoded prior quantiles {QUANTILES[0]}-{QUANTILES[1]} per axis",
                      scale=_scale_of(run))


def prior_samples(runs, out: Path) -> list[Path]:
    rows = []
    for run in runs:
        drawn = run.model().sample(SAMPLES, torch.Generator().manual_seed(SEED))
        if drawn is None:
            return []
        rows.append(drawn.numpy())
    return image_grid(np.stack(rows), runs[0].spec.image_shape, out / "prior_samples",
                      row_labels=[run.label() for run in runs],
                      title=f"Draws from each prior, decoded (seed {SEED})", scale=_scale_of(runs[0]))


def generative_figures(runs, out: Path) -> list[Path]:
    written = latent_spread(runs, out)
    if runs[0].spec.image_shape is None:
        return written
    written += reconstructions(runs, out) + prior_samples(runs, out)
    for run in runs:
        written += patterns(run, out) + latent_grid(run, out)
    return written
