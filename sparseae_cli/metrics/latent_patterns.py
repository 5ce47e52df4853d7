"""What each latent dimension draws: Pyle's "patterns vs latent dimensions", measured.

The pattern of latent j is the decoder's response to moving that latent alone,
P_j = decode(c + s_j e_j) - decode(c), from the median code c by s_j, the 90th percentile of
|code_j - c_j| over the training codes (so every model, whatever its code's scale, is probed
within its own range). On image data, two numbers say how "readable" the patterns are:

- ``pattern_localisation``: the mean Hoyer sparseness of |P_j| over pixels (0: spread evenly,
  1: a single pixel); localised receptive fields score high.
- ``pattern_gabor_fit``: the mean over latents of the best |cosine| between P_j and a bank of
  Gabor functions (every position up to 12 a side, 8 orientations, 3 wavelengths, 2 phases, 2 widths), the
  Olshausen & Field comparison the report draws by eye. ``pattern_gabor_fit_shuffled`` is the
  same for the patterns with their pixels shuffled (seeded): the score of unstructured
  patterns with the same values, the floor to beat.

Only active latents are scored: an inactive one (its code varies by no more than
``eval.active_threshold`` over the training codes, ``active_units``' criterion) or one whose
pattern is flat draws nothing but decoder noise; they are counted in ``pattern_inactive``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..hoyer import sparseness
from ..params import POSITIVE
from . import METRICS, EvalInputs
from .active_units import ACTIVE_THRESHOLD, active_mask

PROBE_PERCENTILE = 90
FLAT = 1e-6  # a pattern with a smaller RMS is flat (the latent is unused)


def latent_patterns(decode, codes: np.ndarray) -> np.ndarray:
    """decode(c + s_j e_j) - decode(c) for every latent j: (k, d)."""
    centre = np.median(codes, axis=0)
    step = np.percentile(np.abs(codes - centre), PROBE_PERCENTILE, axis=0)
    probes = centre + np.diag(step)
    return decode(probes.astype(np.float32)) - decode(centre[None].astype(np.float32))


def gabor_bank(height: int, width: int) -> np.ndarray:
    """Unit-norm Gabor functions centred on every pixel (every other pixel and so on past 12
    pixels a side, to bound the bank's size): (filters, height * width), float32."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    side = min(height, width)
    stride = max(1, round(side / 12))
    filters = []
    for cy, cx in np.ndindex(height, width):
        if cy % stride or cx % stride:
            continue
        for theta in np.arange(8) * math.pi / 8:
            along = (xs - cx) * math.cos(theta) + (ys - cy) * math.sin(theta)
            across = -(xs - cx) * math.sin(theta) + (ys - cy) * math.cos(theta)
            for wavelength in (side / 4, side / 2.5, side / 1.5):
                for width_factor in (0.35, 0.6):
                    sigma = width_factor * wavelength
                    envelope = np.exp(-(along ** 2 + across ** 2) / (2 * sigma ** 2))
                    for phase in (0.0, math.pi / 2):
                        filters.append(envelope * np.cos(2 * math.pi * along / wavelength + phase))
    bank = np.stack(filters).reshape(len(filters), -1)
    bank -= bank.mean(1, keepdims=True)  # a Gabor carries no DC: compare shapes, not brightness
    return (bank / np.linalg.norm(bank, axis=1, keepdims=True).clip(1e-12)).astype(np.float32)


def gabor_fit(patterns: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """Each (mean-removed) pattern's best |cosine| with a filter of the bank."""
    centred = patterns - patterns.mean(1, keepdims=True)
    unit = centred / np.linalg.norm(centred, axis=1, keepdims=True).clip(1e-12)
    return np.abs(unit.astype(np.float32) @ bank.T).max(1).astype(np.float64)


@METRICS.register("latent_patterns", {"active_threshold": POSITIVE})
def pattern_metrics(inputs: EvalInputs) -> dict:
    if inputs.decode is None or inputs.code_train is None or inputs.image_shape is None:
        return {}
    patterns = latent_patterns(inputs.decode, inputs.code_train).astype(np.float64)
    channels = inputs.image_shape[0] if len(inputs.image_shape) == 3 else 1
    height, width = inputs.image_shape[-2:]
    patterns = patterns.reshape(len(patterns), channels, height * width).mean(1)  # luminance
    threshold = float((inputs.options or {}).get("active_threshold", ACTIVE_THRESHOLD))
    active = active_mask(inputs.code_train, threshold) & (np.sqrt((patterns ** 2).mean(1)) > FLAT)
    result = {"pattern_inactive": int((~active).sum())}
    if not active.any():
        return result
    patterns = patterns[active]
    shuffled = np.random.default_rng(inputs.seed).permuted(patterns, axis=1)
    bank = gabor_bank(height, width)
    result.update(
        pattern_localisation=float(sparseness(torch.from_numpy(np.abs(patterns))).mean()),
        pattern_gabor_fit=float(gabor_fit(patterns, bank).mean()),
        pattern_gabor_fit_shuffled=float(gabor_fit(shuffled, bank).mean()),
    )
    return result
