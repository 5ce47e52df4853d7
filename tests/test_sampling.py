"""Metropolis-Hastings on a per-class KDE, checked on a known two-dimensional mixture."""

import numpy as np
from scipy.stats import ks_2samp

from sparseae_cli.sampling import fit_kde, metropolis_hastings


def mixture(n: int, rng) -> np.ndarray:
    """Two well separated Gaussians in 2-D, weights 0.3 / 0.7."""
    first = rng.random(n) < 0.3
    centres = np.where(first[:, None], [-3.0, 0.0], [3.0, 1.0])
    return centres + rng.normal(scale=0.6, size=(n, 2))


def test_samples_follow_the_mixture():
    rng = np.random.default_rng(0)
    codes = mixture(3000, rng)
    chain = metropolis_hastings(codes, n_samples=1500, scale=0.8, bandwidth=0.1, threshold=0.0,
                                burn_in=500, thin=20, seed=1)
    fresh = mixture(3000, np.random.default_rng(2))
    # Each marginal is indistinguishable from fresh draws of the mixture (two-sample KS test).
    for dim in range(2):
        assert ks_2samp(chain.samples[:, dim], fresh[:, dim]).pvalue > 0.01
    # Both modes are visited in the right proportion.
    assert abs(np.mean(chain.samples[:, 0] < 0) - 0.3) < 0.07
    assert 0.1 < chain.acceptance_rate < 0.9


def test_threshold_refuses_low_density_proposals():
    rng = np.random.default_rng(3)
    codes = mixture(1000, rng)
    chain = metropolis_hastings(codes, n_samples=300, scale=1.5, bandwidth=0.2, threshold=0.3,
                                burn_in=100, thin=5, seed=4)
    assert chain.below_threshold > 0
    white = (codes - codes.mean(0)) / codes.std(0)
    kde = fit_kde(white, 0.2)
    density = kde.score_samples((chain.samples - codes.mean(0)) / codes.std(0))
    assert np.all(density >= chain.log_floor - 1e-9)
    # Without the threshold, the same chain does wander below that floor.
    loose = metropolis_hastings(codes, n_samples=300, scale=1.5, bandwidth=0.2, threshold=0.0,
                                burn_in=100, thin=5, seed=4)
    loose_density = kde.score_samples((loose.samples - codes.mean(0)) / codes.std(0))
    assert np.any(loose_density < chain.log_floor)


def test_fixed_seed_reproduces_the_chain():
    codes = mixture(400, np.random.default_rng(5))
    a = metropolis_hastings(codes, 50, seed=7)
    b = metropolis_hastings(codes, 50, seed=7)
    c = metropolis_hastings(codes, 50, seed=8)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)
