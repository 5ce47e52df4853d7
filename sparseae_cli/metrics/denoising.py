"""Denoising on the corrupted test set (runs with ``train.corruption``), against the clean images.

``denoise_mse_noisy``: the corrupted input's MSE; ``denoise_mse_model``: the reconstruction's;
``denoise_mse_filter``: the classical baseline, a Gaussian filter (scipy.ndimage) over each
image's two spatial axes at its best sigma on a grid (``denoise_filter_sigma``). The sigma is
picked on the very test images it is scored on, which flatters the baseline, not the model.
"""

from __future__ import annotations

import numpy as np

from . import METRICS, EvalInputs

SIGMAS = (0.3, 0.5, 0.7, 0.85, 1.0, 1.25, 1.5, 2.0, 3.0)


def filter_images(x: np.ndarray, shape: tuple, sigma: float) -> np.ndarray:
    """Gaussian filtering of flat images (n, C*H*W) over H and W only."""
    from scipy.ndimage import gaussian_filter  # lazy (registry.py)

    images = x.reshape(len(x), *shape)
    return gaussian_filter(images, sigma=(0, 0, sigma, sigma), mode="nearest").reshape(len(x), -1)


def best_filter(noisy: np.ndarray, clean: np.ndarray, shape: tuple) -> tuple[float, float]:
    """(mse, sigma) of the Gaussian filter with the smallest MSE against ``clean``."""
    scores = [(float(np.mean((filter_images(noisy, shape, s) - clean) ** 2)), s) for s in SIGMAS]
    return min(scores)


@METRICS.register("denoising")
def denoising(inputs: EvalInputs) -> dict:
    if inputs.x_test_noisy is None or inputs.reconstruction_test_noisy is None:
        return {}
    clean = inputs.x_test
    result = {"denoise_mse_noisy": float(np.mean((inputs.x_test_noisy - clean) ** 2)),
              "denoise_mse_model": float(np.mean((inputs.reconstruction_test_noisy - clean) ** 2))}
    if inputs.image_shape is not None and len(inputs.image_shape) == 3:
        mse, sigma = best_filter(inputs.x_test_noisy, clean, tuple(inputs.image_shape))
        result.update(denoise_mse_filter=mse, denoise_filter_sigma=sigma)
    return result
