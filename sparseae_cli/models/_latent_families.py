"""The prior/posterior pairs of Pyle's sparse VAEs ("A Sparse VAE", sec. 2 and 2.1).

- ``gaussian``: p(z) = N(0, s^2 I), q(z|x) = N(mu, sigma^2), z = mu + sigma * eps, eps ~ N(0, 1)
  (Kingma & Welling 2014).
- ``laplace``: p(z) = Laplace(0, s) per latent, q still Gaussian (the report's first sparse VAE).
- ``cauchy``: p(z) = Cauchy(0, s), q(z|x) = Cauchy(mu, gamma) with Cauchy reparameterisation
  noise z = mu + gamma * tan(pi (u - 1/2)), u ~ U(0, 1) (the report's sec. 2.1).

Densities, inverse CDFs and the closed-form KL come from torch.distributions: its KL registry
holds Normal->Normal, Normal->Laplace and Cauchy->Cauchy (arXiv 1905.10965), so every pair here
has one, although the report says the Laplace one does not exist (it does: the folded-normal mean
gives E_q|z|). The Monte-Carlo estimate log q(z|x) - log p(z) on the decoder's own z is the
report's method and is always available.

The noise is drawn from the caller's generator (the training context), never the global RNG.
Cauchy noise has no mean and rare huge draws; ``noise_clamp`` = c keeps u in [c, 1 - c]
(which truncates the posterior: off by default, and recorded in the config when used).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch.distributions import Cauchy, Distribution, Laplace, Normal, kl_divergence

# The smallest u of a prior draw by inverse CDF: icdf(0) is -inf (2^-24: float32's resolution).
UNIFORM_FLOOR = 2.0 ** -24


def gaussian_noise(uniform_or_normal: Callable[[str], torch.Tensor], clamp: float | None) -> torch.Tensor:
    return uniform_or_normal("normal")


def cauchy_noise(uniform_or_normal: Callable[[str], torch.Tensor], clamp: float | None) -> torch.Tensor:
    u = uniform_or_normal("uniform")
    if clamp is not None:
        u = u.clamp(clamp, 1 - clamp)
    return torch.tan(math.pi * (u - 0.5))


@dataclass(frozen=True)
class LatentFamily:
    """A prior family, the posterior family it is paired with, and the posterior's noise."""

    prior_family: type[Distribution]
    posterior_family: type[Distribution]
    # eps ~ the posterior's standard member, from a draw function ("normal" or "uniform")
    standard_noise: Callable[[Callable[[str], torch.Tensor], float | None], torch.Tensor]

    # validate_args=False: a diverging run's NaN reaches the loss, whose check names the cause.
    def prior(self, scale: float, like: torch.Tensor) -> Distribution:
        return self.prior_family(torch.zeros_like(like), torch.full_like(like, scale), validate_args=False)

    def posterior(self, loc: torch.Tensor, scale: torch.Tensor) -> Distribution:
        return self.posterior_family(loc, scale, validate_args=False)

    def kl(self, posterior: Distribution, prior: Distribution, z: torch.Tensor | None, mode: str) -> torch.Tensor:
        """KL(q || p) per latent: closed form (``analytic``) or log q(z) - log p(z) at ``z``
        (``mc``: one sample, the decoder's own, unbiased but noisy and possibly negative)."""
        if mode == "analytic":
            return kl_divergence(posterior, prior)
        return posterior.log_prob(z) - prior.log_prob(z)


FAMILIES = {
    "gaussian": LatentFamily(Normal, Normal, gaussian_noise),
    "laplace": LatentFamily(Laplace, Normal, gaussian_noise),
    "cauchy": LatentFamily(Cauchy, Cauchy, cauchy_noise),
}
KL_MODES = ("analytic", "mc")
