"""Generating latent codes: random-walk Metropolis-Hastings on a per-class KDE.

Barlaud & Guyard (2021, sec. 2.3) fit a kernel density estimate on the latent codes of
each class and draw new codes with Metropolis-Hastings, then decode them. Two defects
of the authors' sketch are fixed here: the low-density threshold actually rejects
(proposals whose density is below the ``threshold`` quantile of the density's own
values), and a rejected proposal re-records the current state, as Metropolis-
Hastings requires (keeping only accepted moves biases the chain).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import KernelDensity


@dataclass
class ChainResult:
    samples: np.ndarray  # (n, dim)
    acceptance_rate: float  # accepted moves / proposals
    below_threshold: int  # proposals refused because their density was too low
    log_floor: float  # log-density (standardised codes) under which proposals are refused


def fit_kde(codes: np.ndarray, bandwidth: float | str = "scott") -> KernelDensity:
    return KernelDensity(kernel="gaussian", bandwidth=bandwidth).fit(codes)


def metropolis_hastings(
    codes: np.ndarray,
    n_samples: int,
    scale: float = 0.5,
    bandwidth: float | str = "scott",
    threshold: float = 0.05,
    burn_in: int = 200,
    thin: int = 10,
    seed: int = 0,
) -> ChainResult:
    """Draw ``n_samples`` codes from the KDE of ``codes`` restricted to its denser part.

    The KDE is fitted on codes standardised per dimension (so Scott's and Silverman's
    rules apply, as in scipy's ``gaussian_kde``); ``bandwidth`` and the proposal's
    standard deviation ``scale`` are in those units. Proposals whose density is below
    the ``threshold`` quantile of the KDE's own density (estimated from 2,000 of its
    draws) are refused. The chain starts at the training code of highest density.
    """
    if len(codes) < 2:
        raise ValueError("need at least two codes to fit a density")
    rng = np.random.default_rng(seed)
    center, spread = codes.mean(axis=0), codes.std(axis=0).clip(min=1e-8)
    white = (codes - center) / spread
    kde = fit_kde(white, bandwidth)
    reference = kde.score_samples(kde.sample(2000, random_state=seed))
    log_floor = float(np.quantile(reference, threshold)) if threshold > 0 else -np.inf

    train_log_density = kde.score_samples(white)
    current = white[np.argmax(train_log_density)].copy()
    current_log = float(train_log_density.max())
    total = burn_in + n_samples * thin
    offsets = rng.normal(size=(total, codes.shape[1])) * scale
    uniforms = rng.random(total)
    kept, accepted, refused = [], 0, 0
    for t in range(total):
        proposal = current + offsets[t]
        log_p = float(kde.score_samples(proposal[None])[0])
        if log_p < log_floor:
            refused += 1
        elif np.log(uniforms[t]) <= log_p - current_log:
            current, current_log = proposal, log_p
            accepted += 1
        if t >= burn_in and (t - burn_in) % thin == thin - 1:
            kept.append(current.copy())
    samples = np.array(kept) * spread + center
    return ChainResult(samples, accepted / total, refused, log_floor)
