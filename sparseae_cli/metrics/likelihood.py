"""Test ELBO, its parts, and the importance-weighted estimate of log p(x) (latent-variable models).

For every test image (or a seeded subset of ``eval.likelihood_rows``), K = ``eval.likelihood_samples``
draws z_s ~ q(z|x) give log w_s = log p(x|z_s) + log p(z_s) - log q(z_s|x), and

- ``test_reconstruction_nll`` = -mean_s log p(x|z_s), ``test_kl`` = KL(q(z|x) || p(z)) in closed
  form, ``test_neg_elbo`` = their sum: the loss pytorch/examples reports (nats per image);
- ``test_nll_iwae`` = -(logsumexp_s log w_s - log K), the importance-weighted bound of Burda,
  Grosse & Salakhutdinov (ICLR 2016): an upper bound on -log p(x) that tightens as K grows, the
  only one of these that compares different priors fairly (the ELBO also charges each prior for
  its posterior's misfit). ``test_neg_elbo_mc`` = -mean_s log w_s is its K = 1 value.

Values are means over images, in nats. Skipped for models without a latent density.
"""

import math

import numpy as np

from ..params import POSITIVE_INT, Optional
from . import METRICS, EvalInputs

PARAMETERS = {"likelihood_samples": POSITIVE_INT, "likelihood_rows": Optional(POSITIVE_INT)}


def iwae_bound(log_w: np.ndarray) -> np.ndarray:
    """log (1/K) sum_s exp(log w_s) per row: log_w is (K, n)."""
    from scipy.special import logsumexp  # lazy (registry.py)

    return logsumexp(log_w, axis=0) - math.log(len(log_w))


def _rows(n: int, wanted: int | None, seed: int) -> np.ndarray:
    if wanted is None or wanted >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=wanted, replace=False))


@METRICS.register("likelihood", PARAMETERS)
def likelihood(inputs: EvalInputs) -> dict:
    if inputs.log_weights is None or inputs.x_test is None:
        return {}
    options = inputs.options or {}
    samples = int(options.get("likelihood_samples", 100))
    rows = _rows(len(inputs.x_test), options.get("likelihood_rows"), inputs.seed)
    terms = inputs.log_weights(inputs.x_test[rows], samples, inputs.seed)
    if terms is None:
        return {}
    log_w = terms["log_likelihood"] + terms["log_prior"] - terms["log_posterior"]
    reconstruction = -terms["log_likelihood"].mean(0)
    return {
        "test_reconstruction_nll": float(reconstruction.mean()),
        "test_kl": float(terms["kl"].mean()),
        "test_neg_elbo": float((reconstruction + terms["kl"]).mean()),
        "test_neg_elbo_mc": float(-log_w.mean()),
        "test_nll_iwae": float(-iwae_bound(log_w).mean()),
        "likelihood_samples": samples,
        "likelihood_rows": len(rows),
    }
