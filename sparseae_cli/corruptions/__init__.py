"""Input corruptions of denoising autoencoders (``train.corruption``, ``train.noise_factor``).

Vincent et al. (ICML 2008) train an AE to restore x from a corrupted copy x~; the lecture's
denoising AE (after the Keras blog) uses x~ = clip(x + 0.5 N(0, 1), 0, 1). Each module
registers ``corrupt(x, noise_factor, ctx) -> x~``; the noise comes from the training
context (the run's own generator, saved in checkpoints), never from the global RNG, and the
result is clipped to the training data's range. The model sees x~ under ``x`` and the clean
input under ``clean``: reconstruction losses compare with ``models.base.clean_input``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ..registry import Registry, load_plugins
from ..training.context import TrainingContext

CORRUPTIONS: Registry = Registry("train.corruption")
NO_CORRUPTION = "none"  # configs written before train.corruption existed lack the key
Batch = dict[str, torch.Tensor]


def data_range(x) -> tuple[float, float]:
    """The smallest and largest training value (tensor or array), the range corrupted inputs are
    clipped to. A stacked set's zero padding counts too: images and centred data hold 0 anyway."""
    return float(x.min()), float(x.max())


def make_corruption(train_cfg, inputs: torch.Tensor) -> Callable[[Batch, TrainingContext], Batch] | None:
    """``train.corruption`` as ``(batch, ctx) -> corrupted batch``; None when it is ``none``.

    ``inputs`` are the training inputs: corrupted ones are clipped to their range (``data_range``,
    computed only when there is a corruption).
    """
    name = train_cfg.get("corruption", NO_CORRUPTION)
    if name == NO_CORRUPTION:
        return None
    corrupt, factor = CORRUPTIONS.get(name), float(train_cfg.noise_factor)
    low, high = data_range(inputs)

    def apply(batch: Batch, ctx: TrainingContext) -> Batch:
        noisy = corrupt(batch["x"], factor, ctx).clamp(low, high)
        return {**batch, "x": noisy, "clean": batch["x"]}

    return apply


def corrupt_array(x: np.ndarray, name: str, noise_factor: float, seed: int,
                  low: float, high: float) -> np.ndarray:
    """A corrupted copy of ``x`` drawn from a generator seeded with ``seed`` (for evaluation:
    the same noisy test set for every model of a comparison)."""
    generator = torch.Generator().manual_seed(seed)
    ctx = TrainingContext((generator,))
    clean = torch.as_tensor(x, dtype=torch.float32)
    return CORRUPTIONS.get(name)(clean, noise_factor, ctx).clamp(low, high).numpy()


__all__ = ["CORRUPTIONS", "NO_CORRUPTION", "corrupt_array", "data_range", "make_corruption"]

load_plugins(__name__)
