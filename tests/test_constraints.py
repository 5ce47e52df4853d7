"""Projections against independent references: a sort-based numpy projection,
scipy's SLSQP as a brute-force solver, and the KKT conditions."""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from sparseae_cli.constraints import CONSTRAINTS
from sparseae_cli.constraints.simplex import column_l1_thresholds, project_columns_l1, project_l1_ball


def numpy_l1_projection(y: np.ndarray, radius: float) -> np.ndarray:
    """Sort-based projection (Duchi et al. 2008), written independently of the package."""
    if np.abs(y).sum() <= radius:
        return y.copy()
    if radius == 0:
        return np.zeros_like(y)
    u = np.sort(np.abs(y).ravel())[::-1]
    css = np.cumsum(u)
    k = np.arange(1, u.size + 1)
    rho = np.nonzero(u * k > css - radius)[0][-1]
    tau = (css[rho] - radius) / (rho + 1)
    return np.sign(y) * np.maximum(np.abs(y) - tau, 0)


def slsqp_l1_projection(y: np.ndarray, radius: float) -> np.ndarray:
    """Brute force: min ||p - n - y||^2 s.t. p, n >= 0, sum(p + n) <= radius."""
    d = y.size
    objective = lambda v: np.sum((v[:d] - v[d:] - y) ** 2)  # noqa: E731
    cons = [{"type": "ineq", "fun": lambda v: radius - v.sum()}]
    start = np.concatenate([np.maximum(y, 0), np.maximum(-y, 0)]) * 0.0
    res = minimize(objective, start, bounds=[(0, None)] * (2 * d), constraints=cons,
                   method="SLSQP", options={"ftol": 1e-12, "maxiter": 500})
    return res.x[:d] - res.x[d:]


def slsqp_l21_projection(y: np.ndarray, radius: float) -> np.ndarray:
    """Brute force over (X, t): min ||X - Y||^2 s.t. t_j^2 >= ||X_j||^2, t >= 0, sum t <= radius."""
    n, m = y.shape
    objective = lambda v: np.sum((v[: n * m].reshape(n, m) - y) ** 2)  # noqa: E731
    cons = [
        {"type": "ineq", "fun": lambda v: radius - v[n * m:].sum()},
        {"type": "ineq", "fun": lambda v: v[n * m:] ** 2 - (v[: n * m].reshape(n, m) ** 2).sum(0)},
    ]
    start = np.concatenate([np.zeros(n * m), np.full(m, radius / m)])
    res = minimize(objective, start, bounds=[(None, None)] * (n * m) + [(0, None)] * m,
                   constraints=cons, method="SLSQP", options={"ftol": 1e-12, "maxiter": 1000})
    return res.x[: n * m].reshape(n, m)


def random_cases(seed: int, count: int, shape=(6,)):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        y = rng.normal(size=shape) * rng.uniform(0.1, 3)
        yield y, float(rng.uniform(0.05, 1.2) * np.abs(y).sum())


@pytest.mark.parametrize("seed", range(5))
def test_l1_matches_sort_based_and_brute_force(seed):
    for y, radius in random_cases(seed, 8):
        ours = project_l1_ball(torch.tensor(y), radius).numpy()
        np.testing.assert_allclose(ours, numpy_l1_projection(y, radius), atol=1e-10)
        np.testing.assert_allclose(ours, slsqp_l1_projection(y, radius), atol=1e-4)


@pytest.mark.parametrize("mass", [0.001, 0.1, 0.95])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_l1_of_a_large_matrix_starts_from_a_sample_and_stays_exact(mass, dtype):
    """Above 4 x 2^14 elements the threshold search starts from a sampled lower bound."""
    rng = np.random.default_rng(7)
    y = rng.standard_t(3, size=(512, 600))  # heavy tails: a few large entries
    y[:100, :3] = 2.5  # and ties
    radius = float(mass * np.abs(y).sum())
    ours = project_l1_ball(torch.tensor(y, dtype=dtype), radius).double().numpy()
    tol = 1e-9 if dtype == torch.float64 else 2e-4
    np.testing.assert_allclose(ours, numpy_l1_projection(y, radius), atol=tol * max(1.0, np.abs(y).max()))
    assert np.abs(ours).sum() == pytest.approx(radius, rel=1e-5)


@pytest.mark.parametrize("mass", [0.01, 0.3, 0.9])
def test_column_thresholds_of_a_tall_block_are_each_columns_projection(mass):
    """Many rows, ties, an empty column: each column as its own projection."""
    rng = np.random.default_rng(8)
    y = rng.standard_t(3, size=(1500, 40)) * rng.uniform(0.1, 5, size=40)
    y[:, 0] = 0.0  # an empty column
    y[:700, 1] = 1.0  # ties
    radii = mass * np.abs(y).sum(0) * rng.uniform(0.5, 1.5, size=40)
    ours = project_columns_l1(torch.tensor(y), torch.tensor(radii)).numpy()
    expected = np.stack([numpy_l1_projection(y[:, j], radii[j]) if np.abs(y[:, j]).sum() > radii[j] else y[:, j]
                         for j in range(40)], axis=1)
    np.testing.assert_allclose(ours, expected, atol=1e-9)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_column_thresholds_in_many_chunks_with_odd_columns(dtype):
    """More rows than one cache-sized chunk holds; columns shaped unlike the pooled sample
    (constant, one spike: their estimated start lies above every entry or far off), removed
    columns (radius 0: tau is the largest entry) and columns inside their ball."""
    rng = np.random.default_rng(9)
    y = rng.normal(size=(3000, 120)) * rng.uniform(0.1, 4, size=120)
    y[:, 0] = 0.7  # constant
    y[:, 1] = 0.0
    y[5, 1] = 9.0  # one spike
    y[:10, 2] = np.linspace(1, 2, 10)  # mostly zeros
    y[10:, 2] = 0.0
    radii = rng.uniform(0.01, 0.9, size=120) * np.abs(y).sum(0)
    radii[3] = 0.0
    radii[4] = np.abs(y[:, 4]).sum() * 2
    ours = project_columns_l1(torch.tensor(y, dtype=dtype), torch.tensor(radii, dtype=dtype)).double().numpy()
    expected = np.stack([numpy_l1_projection(y[:, j], radii[j]) for j in range(120)], axis=1)
    tol = 1e-9 if dtype == torch.float64 else 1e-4
    np.testing.assert_allclose(ours, expected, atol=tol * np.abs(y).max())
    # The thresholds themselves: a removed column's is its largest entry, an inside one's is 0.
    tau = column_l1_thresholds(torch.tensor(np.abs(y), dtype=dtype), torch.tensor(radii, dtype=dtype)).double()
    assert tau[3] == pytest.approx(np.abs(y[:, 3]).max(), rel=1e-6) and tau[4] == 0


def test_projections_in_two_threads_at_once_keep_their_own_work_buffers():
    """The work buffer is kept between calls, one per thread: two threads projecting different
    matrices at the same time each get their own matrix's projection."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(10)
    cases = [(rng.normal(size=(700, 800)) * scale, scale) for scale in (1.0, 50.0)]

    def project(case):
        y, _ = case
        return [project_l1_ball(torch.tensor(y), 0.05 * np.abs(y).sum()).numpy() for _ in range(5)]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(project, cases))
    for (y, scale), runs in zip(cases, results):
        expected = numpy_l1_projection(y, 0.05 * np.abs(y).sum())
        for ours in runs:
            np.testing.assert_allclose(ours, expected, atol=1e-9 * scale)


def test_l1_kkt_conditions_with_ties_and_negatives():
    y = np.array([3.0, -3.0, 3.0, 1.0, -0.5, 0.0, 2.0, -2.0])
    radius = 4.0
    x = project_l1_ball(torch.tensor(y), radius).numpy()
    residual = y - x
    assert np.isclose(np.abs(x).sum(), radius)
    tau = np.abs(residual[x != 0])
    # Stationarity: y - x = tau * sign(x) on the support, |y| <= tau off it.
    assert np.allclose(tau, tau[0]) and tau[0] > 0
    assert np.all(np.sign(residual[x != 0]) == np.sign(x[x != 0]))
    assert np.all(np.abs(y[x == 0]) <= tau[0] + 1e-12)
    # Ties are treated alike: the three 3s keep equal magnitudes.
    assert np.allclose(np.abs(x[:3]), np.abs(x[0]))


def test_l1_inside_ball_is_identity_and_zero_radius_is_zero():
    y = torch.tensor([0.1, -0.2, 0.3])
    assert torch.equal(project_l1_ball(y, 10.0), y)
    assert torch.equal(project_l1_ball(y, 0.0), torch.zeros(3))
    with pytest.raises(ValueError):
        project_l1_ball(y, -1.0)


def test_l1_constraint_projects_the_whole_matrix():
    w = torch.randn(7, 5, dtype=torch.float64)
    ours = CONSTRAINTS.get("l1")(w, 3.0)
    np.testing.assert_allclose(ours.numpy(), numpy_l1_projection(w.numpy(), 3.0), atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_batched_column_projection_matches_per_column_reference(seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(9, 12))
    y[:, 3] = 0.0  # an all-zero column
    y[0:3, 5] = 1.5  # ties inside a column
    radii = rng.uniform(0, 1.5 * np.abs(y).sum(0).max(), size=12)
    radii[2] = 0.0
    radii[7] = np.abs(y[:, 7]).sum() + 1  # inside its ball
    ours = project_columns_l1(torch.tensor(y), torch.tensor(radii)).numpy()
    expected = np.stack([numpy_l1_projection(y[:, j], radii[j]) for j in range(12)], axis=1)
    np.testing.assert_allclose(ours, expected, atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_l11_bilevel_matches_its_definition(seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(10, 15))
    eta = float(rng.uniform(0.1, 0.8) * np.abs(w).sum())
    ours = CONSTRAINTS.get("l11")(torch.tensor(w), eta).numpy()
    radii = numpy_l1_projection(np.abs(w).sum(0), eta)
    expected = np.stack([numpy_l1_projection(w[:, j], radii[j]) for j in range(15)], axis=1)
    np.testing.assert_allclose(ours, expected, atol=1e-10)
    assert np.isclose(np.abs(ours).sum(), eta)


def test_l11_bilevel_removes_features_like_the_reference_note():
    # Shape and radius of the check in the reference notes (96x161 Gaussian, eta=100):
    # most columns are removed and the l1 norm equals eta.
    w = torch.randn(96, 161, generator=torch.Generator().manual_seed(0))
    q = CONSTRAINTS.get("l11")(w, 100.0)
    zero_columns = int((q.abs().sum(0) == 0).sum())
    assert 110 < zero_columns < 150
    assert torch.isclose(q.abs().sum(), torch.tensor(100.0), rtol=1e-5)


@pytest.mark.parametrize("seed", range(3))
def test_l21_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(3, 4))
    eta = float(rng.uniform(0.2, 0.8) * np.linalg.norm(y, axis=0).sum())
    ours = CONSTRAINTS.get("l21")(torch.tensor(y), eta).numpy()
    brute = slsqp_l21_projection(y, eta)
    # Feasible, on the boundary, and no farther from y than the solver's answer.
    assert np.isclose(np.linalg.norm(ours, axis=0).sum(), eta)
    assert np.sum((ours - y) ** 2) <= np.sum((brute - y) ** 2) + 1e-9
    np.testing.assert_allclose(ours, brute, atol=5e-3)


def test_l21_inside_ball_and_zero_columns():
    y = torch.zeros(4, 3, dtype=torch.float64)
    y[:, 1] = 0.1
    assert torch.equal(CONSTRAINTS.get("l21")(y, 5.0), y)
    assert torch.equal(CONSTRAINTS.get("l21")(y, 0.0), torch.zeros_like(y))


@pytest.mark.parametrize("seed", range(3))
def test_l1inf_bilevel_matches_its_definition(seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(8, 11))
    eta = float(rng.uniform(0.1, 0.9) * np.abs(w).max(0).sum())
    ours = CONSTRAINTS.get("l1inf")(torch.tensor(w), eta).numpy()
    radii = numpy_l1_projection(np.abs(w).max(0), eta)
    np.testing.assert_allclose(ours, np.sign(w) * np.minimum(np.abs(w), radii), atol=1e-12)
    assert np.isclose(np.abs(ours).max(0).sum(), eta)


@pytest.mark.parametrize("name", ["l1", "l11", "l21", "l1inf", "none"])
def test_every_constraint_is_identity_inside_a_large_ball(name):
    w = torch.randn(5, 6, dtype=torch.float64)
    assert torch.allclose(CONSTRAINTS.get(name)(w, 1e6), w)


@pytest.mark.parametrize("name", ["l1", "l11", "l21", "l1inf"])
def test_projection_is_idempotent_and_float32_safe(name):
    w = torch.randn(64, 300)
    eta = 20.0
    once = CONSTRAINTS.get(name)(w, eta)
    twice = CONSTRAINTS.get(name)(once, eta)
    assert once.dtype == torch.float32
    torch.testing.assert_close(twice, once, atol=1e-5, rtol=1e-4)
