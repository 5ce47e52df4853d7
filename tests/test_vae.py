"""The sparse VAEs (Pyle): KL estimates against closed forms and numerical integration, the
reparameterised noise against its distribution, the importance-weighted bound against the ELBO
and against the exact log p(x) of a linear-Gaussian VAE, the loss against its formula, the prior
sampler's seed, and every prior end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from scipy import integrate, stats
from torch.distributions import Laplace, Normal, kl_divergence

from sparseae_cli import runner
from sparseae_cli.metrics.likelihood import iwae_bound
from sparseae_cli.models import MODELS, DataSpec
from sparseae_cli.models._latent_families import FAMILIES, LatentFamily
from sparseae_cli.models.vae import VAE
from sparseae_cli.training.context import EVALUATION, TrainingContext

from .conftest import composed, run_cli

LOC = torch.tensor([0.0, 0.7, -1.5, 2.0])
SCALE = torch.tensor([1.0, 0.4, 1.8, 0.2])


def laplace_noise(draw, clamp):
    """Standard Laplace noise by inverse CDF (a posterior family no model uses: the test's own)."""
    u = draw("uniform")
    return Laplace(0.0, 1.0).icdf(u.clamp(1e-7, 1 - 1e-7))


PAIRS = {
    "normal-normal": LatentFamily(Normal, Normal, FAMILIES["gaussian"].standard_noise),
    "normal-laplace": FAMILIES["laplace"],
    "laplace-laplace": LatentFamily(Laplace, Laplace, laplace_noise),
    "cauchy-cauchy": FAMILIES["cauchy"],
}


def draws(n: int, seed: int = 0):
    ctx = TrainingContext(generators=(torch.Generator().manual_seed(seed),))
    like = torch.zeros(n, len(LOC), dtype=torch.float64)
    return lambda kind: (ctx.normal_like(like) if kind == "normal" else ctx.uniform_like(like))


@pytest.mark.parametrize("pair", PAIRS)
def test_monte_carlo_kl_averages_to_the_closed_form(pair):
    family = PAIRS[pair]
    posterior = family.posterior(LOC.double(), SCALE.double())
    prior = family.prior(1.3, LOC.double())
    z = posterior.loc + posterior.scale * family.standard_noise(draws(200_000), None)
    estimates = family.kl(posterior, prior, z, "mc")  # (n, latent): one sample each
    mean, stderr = estimates.mean(0), estimates.std(0) / math.sqrt(len(estimates))
    exact = family.kl(posterior, prior, None, "analytic")
    assert torch.all((mean - exact).abs() < 3 * stderr), (mean, exact, stderr)


@pytest.mark.parametrize("mu, sigma, b", [(0.0, 1.0, 1.0), (1.2, 0.3, 1.0), (-2.0, 1.5, 0.5)])
def test_normal_to_laplace_kl_agrees_with_numerical_integration(mu, sigma, b):
    q, p = stats.norm(mu, sigma), stats.laplace(0, b)
    integrand = lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z))  # noqa: E731
    # Split at the kink of |z| (0); beyond mu +- 40 sigma q's mass is below float precision.
    numeric = sum(integrate.quad(integrand, lo, hi, limit=200)[0]
                  for lo, hi in [(min(mu - 40 * sigma, 0.0), 0.0), (0.0, max(mu + 40 * sigma, 0.0))])
    closed = kl_divergence(Normal(torch.tensor(mu, dtype=torch.float64), sigma),
                           Laplace(torch.tensor(0.0, dtype=torch.float64), b))
    assert float(closed) == pytest.approx(numeric, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("prior, reference", [("gaussian", stats.norm), ("cauchy", stats.cauchy)])
def test_reparameterised_samples_follow_the_posterior(prior, reference):
    model = VAE(4, [8], 4, "relu", prior, 1.0, "bernoulli", 0.1, "analytic", 1.0, None)
    posterior = model.family.posterior(LOC.double(), SCALE.double())
    z = model.reparameterise(posterior, draws(5000, seed=1))
    for j in range(len(LOC)):
        scaled = reference(loc=float(LOC[j]), scale=float(SCALE[j]))
        assert stats.kstest(z[:, j].numpy(), scaled.cdf).pvalue > 1e-3
    # ... and not some other distribution (the test can fail)
    other = stats.norm if prior == "cauchy" else stats.cauchy
    assert stats.kstest(z[:, 0].numpy(), other(loc=float(LOC[0]), scale=float(SCALE[0])).cdf).pvalue < 1e-6


def test_noise_clamp_bounds_cauchy_noise_and_is_refused_for_gaussian_noise():
    model = VAE(4, [8], 4, "relu", "cauchy", 1.0, "bernoulli", 0.1, "analytic", 1.0, 0.01)
    eps = model.family.standard_noise(draws(20000), 0.01)
    limit = math.tan(math.pi * 0.49)
    assert float(eps.abs().max()) <= limit + 1e-9
    assert float(model.family.standard_noise(draws(20000), None).abs().max()) > limit  # off: heavy tails
    with pytest.raises(Exception, match="noise_clamp"):
        VAE(4, [8], 4, "relu", "gaussian", 1.0, "bernoulli", 0.1, "analytic", 1.0, 0.01)


def test_loss_is_the_pytorch_examples_negative_elbo():
    """Summed BCE plus -1/2 sum(1 + log var - mu^2 - var), per image (Kingma & Welling, app. B)."""
    torch.manual_seed(0)
    model = VAE(12, [7], 3, "relu", "gaussian", 1.0, "bernoulli", 0.1, "analytic", 1.0, None)
    x = torch.rand(5, 12)
    ctx = TrainingContext(generators=(torch.Generator().manual_seed(4),))
    with torch.no_grad():
        outputs = model({"x": x}, ctx)
        loss, parts = model.loss({"x": x}, outputs, ctx)
        hidden = model.encoder(x)
        mu, logvar = model.loc(hidden), model.log_variance(hidden)
        eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(4))
        recon = torch.sigmoid(model.decoder(mu + torch.exp(0.5 * logvar) * eps))
    bce = torch.nn.functional.binary_cross_entropy(recon, x, reduction="sum") / len(x)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / len(x)
    assert float(parts["reconstruction"]) == pytest.approx(float(bce), rel=1e-5)
    assert float(parts["kl"]) == pytest.approx(float(kld), rel=1e-5)
    assert float(loss) == pytest.approx(float(bce + kld), rel=1e-5)


def test_evaluation_codes_are_posterior_locations_without_noise():
    model = VAE(12, [7], 3, "relu", "cauchy", 1.0, "bernoulli", 0.1, "mc", 1.0, None).eval()
    x = torch.rand(4, 12)
    outputs = model({"x": x}, EVALUATION)
    assert torch.equal(outputs["code"], model.encode(x))
    assert torch.equal(outputs["reconstruction"], model.decode(model.encode(x)))


def linear_gaussian_vae(seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    return VAE(5, [], 2, "relu", "gaussian", 1.0, "gaussian", 0.5, "analytic", 1.0, None).double()


def test_importance_weighted_bound_tends_to_the_exact_log_likelihood_of_a_linear_gaussian_vae():
    """Decoder x = W z + b + sigma e with z ~ N(0, I): p(x) = N(b, W W^T + sigma^2 I) exactly."""
    model = linear_gaussian_vae()
    W, b = model.decoder[0].weight.detach().numpy(), model.decoder[0].bias.detach().numpy()
    x = torch.randn(6, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    exact = stats.multivariate_normal(b, W @ W.T + 0.25 * np.eye(5)).logpdf(x.numpy())
    bounds = {}
    for k in (1, 10, 100, 4000):
        terms = model.log_weights(x, k, torch.Generator().manual_seed(2))
        log_w = (terms["log_likelihood"] + terms["log_prior"] - terms["log_posterior"]).detach().numpy()
        bounds[k] = iwae_bound(log_w)
    elbo = (terms["log_likelihood"].mean(0) - terms["kl"]).detach().numpy()  # E_q log p(x|z) - KL
    assert np.all(bounds[4000] <= exact + 0.05)
    assert np.abs(bounds[4000] - exact).mean() < 0.1  # an untrained encoder: K must do the work
    means = [bounds[k].mean() for k in (1, 10, 100, 4000)]
    assert means == sorted(means)  # grows with K
    assert np.all(elbo < exact)  # the ELBO is a lower bound (its gap: KL(q || p(z|x)))


def test_elbo_from_weights_matches_the_analytic_kl_decomposition():
    """E_q[log w] = E_q[log p(x|z)] - KL(q || p): the MC and closed-form ELBOs agree in mean."""
    model = linear_gaussian_vae()
    x = torch.randn(3, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    terms = model.log_weights(x, 200_000, torch.Generator().manual_seed(3))
    log_w = terms["log_likelihood"] + terms["log_prior"] - terms["log_posterior"]
    analytic = terms["log_likelihood"].mean(0) - terms["kl"]
    stderr = (terms["log_prior"] - terms["log_posterior"]).std(0) / math.sqrt(200_000)
    assert torch.all((log_w.mean(0) - analytic).abs() < 3 * stderr + 1e-9)


@pytest.mark.parametrize("prior", list(FAMILIES))
def test_prior_samples_are_reproducible_from_their_seed_and_follow_the_prior(prior):
    torch.manual_seed(0)
    model = VAE(6, [5], 3, "relu", prior, 2.0, "gaussian", 0.1, "analytic", 1.0, None).eval()
    first = model.sample(50, torch.Generator().manual_seed(7))
    assert torch.equal(first, model.sample(50, torch.Generator().manual_seed(7)))
    assert not torch.equal(first, model.sample(50, torch.Generator().manual_seed(8)))
    u = torch.rand(4000, 3, generator=torch.Generator().manual_seed(7))
    z = model.prior_quantiles(u)
    reference = {"gaussian": stats.norm, "laplace": stats.laplace, "cauchy": stats.cauchy}[prior]
    assert stats.kstest(z[:, 0].numpy(), reference(scale=2.0).cdf).pvalue > 1e-3


def test_bernoulli_likelihood_refuses_inputs_outside_the_unit_interval():
    model = MODELS.get("vae")(composed("model=vae").model, DataSpec(4, 2))
    with pytest.raises(Exception, match=r"\[0, 1\]"):
        model.check_inputs(np.array([[0.0, 2.0, 0.5, 0.1]]))


@pytest.mark.parametrize("prior", list(FAMILIES))
def test_every_prior_trains_end_to_end_with_honest_likelihoods(prior, tmp_path):
    out = tmp_path / prior
    out.mkdir()
    runner.run(composed("dataset=digits", "model=vae", f"model.prior={prior}", "model.latent=4",
                        "model.hidden=[32]", "train.epochs=1", "split.folds=2", "eval.likelihood_samples=20"), out)
    record = json.loads((out / "metrics.json").read_text())
    fold = record["folds"][0]
    assert fold["test_nll_iwae"] <= fold["test_neg_elbo_mc"] + 1e-6  # log-mean-exp >= mean
    assert np.isfinite([fold[k] for k in ("test_neg_elbo", "test_kl", "active_units", "silhouette_test")]).all()
    assert fold["test_kl"] >= 0
    config = OmegaConf.load(out / "config_resolved.yaml")
    assert config.model.prior == prior and config.model.noise_clamp is None


def test_sample_draws_from_the_prior_and_figures_draw_the_report_appendix(tmp_path):
    runs = {}
    for prior in ("gaussian", "cauchy"):
        runs[prior] = tmp_path / prior
        runs[prior].mkdir()
        runner.run(composed("dataset=digits", "model=vae", f"pyle_model={prior}", "model.latent=2",
                            "model.hidden=[32]", "train.epochs=1", "split.folds=2", "eval.likelihood_samples=5"),
                   runs[prior])
    first = run_cli("sample", str(runs["cauchy"]), "n=12", "seed=4", f"out={tmp_path / 's1'}")
    second = run_cli("sample", str(runs["cauchy"]), "n=12", "seed=4", f"out={tmp_path / 's2'}")
    assert first.returncode == 0 and second.returncode == 0, first.stderr
    drawn = np.load(tmp_path / "s1" / "samples.npz")["decoded"]
    assert drawn.shape == (12, 64) and np.array_equal(drawn, np.load(tmp_path / "s2" / "samples.npz")["decoded"])
    assert (tmp_path / "s1" / "prior_samples.png").exists()
    out = tmp_path / "figures"
    result = run_cli("figures", "--generative", str(runs["gaussian"]), str(runs["cauchy"]), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    names = {p.stem for p in out.glob("*.png")}
    assert {"reconstructions", "prior_samples", "latent_spread", "patterns_gaussian", "patterns_cauchy",
            "latent_grid_gaussian", "latent_grid_cauchy"} <= names


def test_a_diverging_cauchy_vae_under_a_gaussian_likelihood_is_told_to_clamp_its_noise():
    from sparseae_cli.errors import RunFailed
    from sparseae_cli.training.loop import Batches, train_epochs

    model = VAE(6, [5], 2, "relu", "cauchy", 1.0, "gaussian", 0.1, "analytic", 1.0, None)
    with torch.no_grad():
        model.loc.bias.fill_(float("nan"))  # what a heavy-tailed draw does to the weights
    train = OmegaConf.create({"optimizer": "adam", "lr": 1e-3, "weight_decay": 0.0})
    batches = Batches({"x": torch.rand(16, 6)}, 8, torch.Generator().manual_seed(0))
    with pytest.raises(RunFailed, match="model.noise_clamp=0.01"):
        train_epochs(model, batches, train, 1)
    clamped = VAE(6, [5], 2, "relu", "cauchy", 1.0, "gaussian", 0.1, "analytic", 1.0, 0.01)
    assert "noise_clamp" not in clamped.divergence_hint()
