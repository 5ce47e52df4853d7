"""A known batch effect laid over a dataset, so that batch correction can be scored.

SAUCIE's MMD term (Amodio et al., Nat. Methods 2019) aligns the samples a cell came from. Real
multi-sample data (``dataset=h5ad``, ``dataset=fcs``) has no ground truth for how far apart the
samples should be; here a seeded half of every class becomes batch 1 and every feature j of its
cells moves by ``shift * sigma_j * s_j`` (sigma_j the feature's standard deviation, s_j a seeded
random sign). The cell types stay balanced across batches, so a perfect correction mixes the
batches completely while keeping the types apart.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import DataError
from ._base import Dataset


def with_batch_effect(data: Dataset, shift: float, seed: int) -> Dataset:
    """``data`` split into batches 0 and 1 (half of each class, seeded), batch 1 shifted."""
    if data.groups is not None:
        raise DataError(f"{data.name} already has batches of origin; dataset.batch_shift only applies "
                        "to a set without them (set dataset.batch_shift=null)")
    rng = np.random.default_rng(seed)
    groups = np.zeros(len(data.y), dtype=np.int64)
    for label in np.unique(data.y):
        members = rng.permutation(np.flatnonzero(data.y == label))
        groups[members[: len(members) // 2]] = 1
    signs = rng.choice([-1.0, 1.0], size=data.n_features)
    offset = (shift * data.X.std(axis=0, dtype=np.float64) * signs).astype(np.float32)
    X = data.X + groups[:, None].astype(np.float32) * offset
    return replace(data, X=X, groups=groups)
