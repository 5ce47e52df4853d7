"""Variational autoencoders with a Gaussian, Laplace or Cauchy prior (Pyle, "A Sparse VAE";
Kingma & Welling, "Auto-encoding variational Bayes", ICLR 2014).

Encoder x -> hidden -> (mu, log sigma^2) (two linear heads), decoder z -> hidden (mirrored) ->
the likelihood's parameters. Training minimises the negative ELBO per image, in nats,

    -ELBO(x) = -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z)),

with one reparameterised z per image (``_latent_families``) and the KL in closed form
(``model.kl=analytic``) or by one Monte-Carlo sample on that same z (``mc``, the report's).

Likelihoods: ``bernoulli`` (summed binary cross-entropy from the decoder's logits, the
pytorch/examples VAE's; on grey-level pixels it is not a normalised density, so compare such
ELBOs only with each other) or ``gaussian`` with a fixed standard deviation ``model.sigma``
(a normalised density, constants included).

Codes for metrics are the posterior locations mu (the median for a Cauchy posterior), and
evaluation is deterministic: without a random stream (the evaluation context) z = mu.
Every random draw uses the caller's generator.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import UsageError
from ..params import NON_NEGATIVE, POSITIVE, POSITIVE_INT, Interval, ListOf, Optional, Options
from ..training.context import TrainingContext
from . import MODELS, DataSpec
from ._latent_families import FAMILIES, KL_MODES, UNIFORM_FLOOR
from ._layers import ACTIVATIONS, mlp
from ._reconstruction import check_targets
from .base import GradientModel, batch_mean

LIKELIHOODS = ("bernoulli", "gaussian")


class VAE(GradientModel):
    def __init__(self, n_features: int, hidden: list[int], latent: int, activation: str,
                 prior: str, prior_scale: float, likelihood: str, sigma: float, kl: str,
                 beta: float, noise_clamp: float | None) -> None:
        super().__init__()
        if noise_clamp is not None and prior != "cauchy":
            raise UsageError(f"model.noise_clamp clamps the Cauchy posterior's noise; model.prior={prior} "
                             "draws Gaussian noise: drop model.noise_clamp (or set it to null)")
        self.family, self.prior_name, self.prior_scale = FAMILIES[prior], prior, prior_scale
        self.likelihood, self.sigma, self.kl_mode = likelihood, sigma, kl
        self.beta, self.noise_clamp = beta, noise_clamp
        # No hidden layer: the heads read x itself (a linear VAE, whose log p(x) has a closed form)
        self.encoder = mlp([n_features, *hidden], activation, output_activation=activation) if hidden \
            else nn.Identity()
        width = hidden[-1] if hidden else n_features
        self.loc = nn.Linear(width, latent)
        self.log_variance = nn.Linear(width, latent)  # scale = exp(log_variance / 2)
        self.decoder = mlp([latent, *reversed(hidden), n_features], activation)

    # -- the posterior, the decoder ------------------------------------------------------
    def posterior(self, x: torch.Tensor):
        hidden = self.encoder(x)
        return self.family.posterior(self.loc(hidden), torch.exp(0.5 * self.log_variance(hidden)))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.loc(self.encoder(x))

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return self._mean(self.decoder(code))

    def reparameterise(self, posterior, draw) -> torch.Tensor:
        """z = loc + scale * eps, eps the posterior family's standard noise from ``draw``."""
        eps = self.family.standard_noise(draw, self.noise_clamp)
        return posterior.loc + posterior.scale * eps

    def log_likelihood(self, decoder_output: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x|z) summed over features: shape (..., B)."""
        if self.likelihood == "bernoulli":
            return -F.binary_cross_entropy_with_logits(decoder_output, x.expand_as(decoder_output),
                                                       reduction="none").sum(-1)
        var = self.sigma ** 2
        return -(0.5 * (x - decoder_output).square() / var
                 + 0.5 * math.log(2 * math.pi * var)).sum(-1)

    # -- training -------------------------------------------------------------------------
    def forward(self, batch, ctx: TrainingContext | None = None) -> dict[str, torch.Tensor]:
        posterior = self.posterior(batch["x"])
        draws = ctx is not None and ctx.generators
        z = self.reparameterise(posterior, _drawer(ctx, posterior.loc)) if draws else posterior.loc
        decoder_output = self.decoder(z)
        return {"code": posterior.loc, "reconstruction": self._mean(decoder_output), "z": z,
                "decoder_output": decoder_output, "scale": posterior.scale}

    def loss(self, batch, outputs, ctx=None):
        """The negative ELBO per image (nats), and its two parts."""
        posterior = self.family.posterior(outputs["code"], outputs["scale"])
        prior = self.family.prior(self.prior_scale, outputs["code"])
        reconstruction = -self.log_likelihood(outputs["decoder_output"], batch["x"])
        kl = self.family.kl(posterior, prior, outputs["z"], self.kl_mode).sum(-1)
        reconstruction, kl = batch_mean(reconstruction, batch), batch_mean(kl, batch)
        return reconstruction + self.beta * kl, {"reconstruction": reconstruction, "kl": kl}

    def _mean(self, decoder_output: torch.Tensor) -> torch.Tensor:
        """The likelihood's mean: pixel probabilities (bernoulli) or the Gaussian mean."""
        return torch.sigmoid(decoder_output) if self.likelihood == "bernoulli" else decoder_output

    # -- evaluation: importance weights, prior draws -------------------------------------
    def log_weights(self, x: torch.Tensor, samples: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """For ``samples`` draws z_s ~ q(z|x) per row: log p(x|z_s), log p(z_s) and log q(z_s|x),
        each (samples, B), and the closed-form KL(q || p) of every row, (B,).
        log p(x) >= E_s[log p(x|z) + log p(z) - log q(z|x)] (the ELBO) and the
        importance-weighted bound log mean_s exp(...) (Burda et al. 2016) tightens it as
        samples grows."""
        posterior = self.posterior(x)
        shape = (samples, *posterior.loc.shape)
        ctx = TrainingContext(generators=(generator,))
        z = self.reparameterise(posterior, _drawer(ctx, posterior.loc.expand(shape)))
        prior = self.family.prior(self.prior_scale, z)
        return {"log_likelihood": self.log_likelihood(self.decoder(z), x),
                "log_prior": prior.log_prob(z).sum(-1), "log_posterior": posterior.log_prob(z).sum(-1),
                "kl": self.family.kl(posterior, self.family.prior(self.prior_scale, posterior.loc),
                                     None, "analytic").sum(-1)}

    def prior_quantiles(self, probabilities: torch.Tensor) -> torch.Tensor:
        """The prior's inverse CDF at ``probabilities``, per coordinate."""
        return self.family.prior(self.prior_scale, probabilities).icdf(probabilities)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws z ~ p(z) (by inverse CDF of uniforms from ``generator``), decoded to the
        likelihood's mean."""
        latent = self.loc.out_features
        u = torch.rand((n, latent), generator=generator).clamp(UNIFORM_FLOOR, 1 - UNIFORM_FLOOR)
        device = self.loc.weight.device
        return self.decode(self.prior_quantiles(u).to(device))

    def divergence_hint(self) -> str:
        if self.prior_name == "cauchy" and self.noise_clamp is None and self.likelihood == "gaussian":
            return ("a Cauchy posterior's draws have no variance, so under a Gaussian likelihood the "
                    "expected reconstruction error is infinite: set model.noise_clamp=0.01 "
                    "(or model.likelihood=bernoulli for data in [0, 1])")
        return super().divergence_hint()

    def check_inputs(self, X: np.ndarray) -> None:
        if self.likelihood == "bernoulli":
            check_targets("bce", X)


def _drawer(ctx: TrainingContext, like: torch.Tensor):
    """draw("normal") or draw("uniform"): standard noise of ``like``'s shape from ``ctx``."""
    return lambda kind: ctx.normal_like(like) if kind == "normal" else ctx.uniform_like(like)


PARAMETERS = {
    "hidden": ListOf(POSITIVE_INT), "latent": POSITIVE_INT, "activation": Options(tuple(ACTIVATIONS)),
    "prior": Options(tuple(FAMILIES)), "prior_scale": POSITIVE,
    "likelihood": Options(LIKELIHOODS), "sigma": POSITIVE, "kl": Options(KL_MODES),
    "beta": NON_NEGATIVE,
    "noise_clamp": Optional(Interval(float, 0, 0.5, closed="neither",
                                     meaning="Cauchy noise keeps u in [c, 1 - c]; null: no clamp")),
}


@MODELS.register("vae", PARAMETERS)
def build_vae(cfg, spec: DataSpec) -> VAE:
    return VAE(spec.n_features, list(cfg.hidden), int(cfg.latent), str(cfg.activation), str(cfg.prior),
               float(cfg.prior_scale), str(cfg.likelihood), float(cfg.sigma), str(cfg.kl),
               float(cfg.beta), None if cfg.noise_clamp is None else float(cfg.noise_clamp))
