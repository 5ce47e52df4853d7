"""AAnet and its linear baseline: simplex geometry, the probability-simplex projection against
the sort-based closed form, the archetypal loss by hand, and archetype recovery on data that
is a known mixture."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from sparseae_cli.constraints.simplex import project_rows_to_simplex
from sparseae_cli.models._archetypes import (
    barycentric_map,
    furthest_sum,
    outside_distance,
    regular_simplex,
    to_barycentric,
)
from sparseae_cli.models.aanet import AAnet
from sparseae_cli.models.pca_archetypes import PCAArchetypes


@pytest.mark.parametrize("k", [2, 3, 6])
def test_regular_simplex_is_centred_with_equal_edges(k):
    vertices = regular_simplex(k, scale=2.0)
    assert vertices.shape == (k, k - 1)
    np.testing.assert_allclose(vertices.mean(0), 0, atol=1e-12)
    edges = [np.linalg.norm(a - b) for a, b in itertools.combinations(vertices, 2)]
    np.testing.assert_allclose(edges, 2.0 * np.sqrt(2))


def test_barycentric_coordinates_reproduce_the_point_and_sum_to_one():
    vertices = regular_simplex(4)
    mapping = torch.tensor(barycentric_map(vertices))
    np.testing.assert_allclose(to_barycentric(torch.tensor(vertices), mapping).numpy(), np.eye(4), atol=1e-12)
    z = torch.randn(20, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    b = to_barycentric(z, mapping)
    np.testing.assert_allclose(b.sum(1).numpy(), 1, atol=1e-12)
    np.testing.assert_allclose((b @ torch.tensor(vertices)).numpy(), z.numpy(), atol=1e-12)
    # against a least-squares solve of [V^T; 1] b = [z; 1]
    system = np.vstack([vertices.T, np.ones(4)])
    solved = np.linalg.lstsq(system, np.vstack([z.numpy().T, np.ones(20)]), rcond=None)[0].T
    np.testing.assert_allclose(b.numpy(), solved, atol=1e-10)


def test_outside_distance_sums_the_negative_coordinates():
    b = torch.tensor([[0.2, 0.3, 0.5], [1.5, -0.2, -0.3], [-1.0, 1.0, 1.0]])
    np.testing.assert_allclose(outside_distance(b).numpy(), [0.0, 0.5, 1.0])


def sort_projection(v: np.ndarray) -> np.ndarray:
    """Held & Wolfe / Duchi et al. (2008): sort, find the last u_j > (cumsum_j - 1) / j."""
    u = np.sort(v)[::-1]
    cumulative = np.cumsum(u) - 1
    rho = np.nonzero(u - cumulative / np.arange(1, len(v) + 1) > 0)[0][-1]
    return np.maximum(v - cumulative[rho] / (rho + 1), 0)


def test_simplex_projection_matches_the_sort_based_closed_form_and_its_conditions():
    rng = np.random.default_rng(0)
    v = np.vstack([rng.normal(size=(50, 7)) * 3, rng.uniform(0, 0.01, size=(5, 7)),  # sums far below 1
                   np.full((1, 7), 1 / 7), np.eye(7)[:2] * 4 - 1])
    projected = project_rows_to_simplex(torch.tensor(v)).numpy()
    np.testing.assert_allclose(projected, np.stack([sort_projection(row) for row in v]), atol=1e-12)
    np.testing.assert_allclose(projected.sum(1), 1, atol=1e-12)
    assert (projected >= 0).all()
    # KKT: v - p = tau on the support, <= tau off it
    for row, p in zip(v, projected):
        tau = (row - p)[p > 0]
        np.testing.assert_allclose(tau, tau[0], atol=1e-10)
        assert ((row - p)[p == 0] <= tau[0] + 1e-10).all()


def test_simplex_projection_is_differentiable_and_keeps_stacked_shapes():
    v = torch.randn(2, 5, 4, generator=torch.Generator().manual_seed(1), requires_grad=True)
    out = project_rows_to_simplex(v)
    assert out.shape == v.shape
    out[..., 0].sum().backward()
    assert torch.isfinite(v.grad).all() and v.grad.abs().sum() > 0


def test_aanet_loss_is_mse_plus_the_squared_outside_distance():
    torch.manual_seed(0)
    model = AAnet(6, 3, [8], archetypal_weight=2.0, noise=0.0, scale=1.0, project=False)
    x = torch.randn(10, 6, generator=torch.Generator().manual_seed(2))
    outputs = model({"x": x})
    total, parts = model.loss({"x": x}, outputs)
    b = to_barycentric(model.encoder(x), model.mapping)
    np.testing.assert_allclose(outputs["code"].detach(), b.detach(), atol=1e-6)
    decoded = model.decoder(b @ model.vertices)
    assert parts["mse"].item() == pytest.approx(((decoded - x) ** 2).mean().item(), rel=1e-5)
    assert parts["archetypal"].item() == pytest.approx(2.0 * (outside_distance(b) ** 2).mean().item(), rel=1e-5)
    assert total.item() == pytest.approx(parts["mse"].item() + parts["archetypal"].item(), rel=1e-6)


def test_projected_aanet_decodes_only_convex_mixtures():
    torch.manual_seed(0)
    model = AAnet(6, 3, [8], archetypal_weight=0.0, noise=0.0, scale=1.0, project=True)
    far = torch.tensor([[3.0, -1.0, -1.0]])  # outside the simplex: decoded as its projection, vertex 0
    np.testing.assert_allclose(model.decode(far).detach(), model.archetypes()[:1], atol=1e-6)


def mixtures(n=1500, k=4, d=10, seed=0):
    rng = np.random.default_rng(seed)
    vertices = rng.normal(size=(k, d)) * 3
    weights = rng.dirichlet(np.full(k, 0.4), size=n)
    return weights @ vertices, vertices


def nearest_match(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """For every true vertex, the distance to the nearest found archetype (each used once)."""
    from scipy.optimize import linear_sum_assignment

    cost = np.linalg.norm(truth[:, None] - found[None], axis=-1)
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols]


def test_furthest_sum_and_the_pca_baseline_find_the_vertices_of_a_noiseless_mixture():
    X, vertices = mixtures()
    baseline = PCAArchetypes(4, seed=0)
    baseline.fit(torch.tensor(X, dtype=torch.float32))
    assert nearest_match(baseline.archetypes(), vertices).max() < 0.15 * np.linalg.norm(vertices, axis=1).mean()
    b = baseline.encode(torch.tensor(X, dtype=torch.float32)).numpy()
    assert (b >= -1e-6).all(1).mean() > 0.7  # cells inside the hull of 4 extreme cells
    np.testing.assert_allclose(baseline.decode(torch.tensor(b)).numpy(), X, atol=1e-3)  # exact in k-1 PCs
    chosen = furthest_sum(X, 4)
    assert len(set(chosen)) == 4


def test_aanet_trains_towards_the_simplex_on_a_known_mixture():
    from omegaconf import OmegaConf

    from sparseae_cli.training.loop import Batches, train_epochs

    X, vertices = mixtures(n=800, k=3, d=6, seed=1)
    x = torch.tensor((X - X.mean(0)) / X.std(0), dtype=torch.float32)
    torch.manual_seed(0)
    model = AAnet(6, 3, [32, 32], archetypal_weight=1.0, noise=0.0, scale=1.0, project=False)
    train = OmegaConf.create({"optimizer": "adam", "lr": 3e-3, "weight_decay": 0.0})
    train_epochs(model, Batches({"x": x}, 64, torch.Generator().manual_seed(0)), train, 60)
    model.eval()
    with torch.no_grad():
        outputs = model({"x": x})
    assert (outputs["code"] >= -1e-6).all(1).float().mean() > 0.9
    assert ((outputs["reconstruction"] - x) ** 2).mean() < 0.1
