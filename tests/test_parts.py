"""Part-based AE pieces: regularisers by hand, Hoyer's measure and projection, dilation
against scipy, the SVM protocol, non-negativity and the models' shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from scipy import ndimage
from scipy.optimize import minimize
from sklearn.svm import LinearSVC

from sparseae_cli import linear_svm
from sparseae_cli.constraints import CONSTRAINTS
from sparseae_cli.hoyer import l1_for_sparseness, project_sparseness, sparseness
from sparseae_cli.metrics import METRICS, EvalInputs
from sparseae_cli.metrics.dilation import dilate_cross
from sparseae_cli.metrics.svm import svm_protocol
from sparseae_cli.models import MODELS, DataSpec
from sparseae_cli.regularizers import REGULARIZERS, Penalized

CODE = torch.tensor([[0.2, 0.9], [0.4, 0.5]], dtype=torch.float64)  # unit means t = (0.3, 0.7)


def reg(name, p=0.1, beta=2.0, eps=1e-8):
    """The regulariser as a function of the code alone (a batch without padding)."""
    function = REGULARIZERS.get(name)
    return (lambda code, cfg, batch=None: function(Penalized(code, batch or {}, None), cfg),
            OmegaConf.create({"p": p, "beta": beta, "eps": eps}))


@pytest.mark.parametrize(
    "name, expected, grad_t",
    [
        ("kl", lambda p, t: p * math.log(p / t) + (1 - p) * math.log((1 - p) / (1 - t)),
         lambda p, t: -p / t + (1 - p) / (1 - t)),
        ("eps_l1", lambda p, t: math.sqrt((p - t) ** 2 + 1e-8),
         lambda p, t: (t - p) / math.sqrt((p - t) ** 2 + 1e-8)),
        ("log", lambda p, t: math.log(1 + (p - t) ** 2), lambda p, t: 2 * (t - p) / (1 + (p - t) ** 2)),
        ("l2", lambda p, t: (p - t) ** 2, lambda p, t: 2 * (t - p)),
    ],
)
def test_regulariser_value_and_gradient_by_hand(name, expected, grad_t):
    fn, cfg = reg(name)
    code = CODE.clone().requires_grad_()
    value = fn(code, cfg)
    t = [0.3, 0.7]
    assert value.item() == pytest.approx(2.0 * sum(expected(0.1, tj) for tj in t))
    value.backward()
    # d/dh_ij = beta * S'(t_j) / B, with B = 2 samples
    for j, tj in enumerate(t):
        assert code.grad[0, j].item() == pytest.approx(2.0 * grad_t(0.1, tj) / 2)


def test_a_regulariser_penalises_the_output_its_config_names():
    from sparseae_cli.errors import UsageError
    from sparseae_cli.regularizers import make_penalty

    hidden = torch.tensor([[1.0, -2.0], [0.0, 3.0]])
    outputs = {"code": CODE.float(), "decoder_hidden": hidden}
    on_code = make_penalty(OmegaConf.create({"name": "l1", "p": 0.1, "beta": 0.5, "on": "code"}), None)
    on_hidden = make_penalty(OmegaConf.create({"name": "l1", "p": 0.1, "beta": 0.5, "on": "decoder_hidden"}), None)
    assert on_code({}, outputs, None).item() == pytest.approx(0.5 * (1.1 + 0.9) / 2)
    assert on_hidden({}, outputs, None).item() == pytest.approx(0.5 * (3 + 3) / 2)
    assert make_penalty(OmegaConf.create({"name": "none", "p": 0.1, "beta": 0.5}), None) is None
    with pytest.raises(UsageError, match="regularizer.on=decoder_hidden is not an output"):
        on_hidden({}, {"code": CODE}, None)


def test_l1_regulariser_and_stacked_codes():
    fn, cfg = reg("l1", beta=0.5)
    assert fn(CODE, cfg).item() == pytest.approx(0.5 * (1.1 + 0.9) / 2)
    kl, kcfg = reg("kl")
    stacked = torch.stack([CODE, CODE.flip(0)])
    assert kl(stacked, kcfg).item() == pytest.approx(2 * kl(CODE, kcfg).item())


@pytest.mark.parametrize("name", ["l1", "kl", "l2", "log", "eps_l1"])
def test_padding_rows_of_a_stacked_batch_do_not_count(name):
    """A member padded with a zero-weight row is penalised as if trained alone."""
    fn, cfg = reg(name)
    padded = torch.cat([CODE, torch.full((1, 2), 0.8, dtype=CODE.dtype)])
    stacked = torch.stack([torch.cat([CODE, CODE[:1]]), padded])
    weight = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]], dtype=CODE.dtype)
    alone = fn(torch.cat([CODE, CODE[:1]]), cfg) + fn(CODE, cfg)
    assert fn(stacked, cfg, {"weight": weight}).item() == pytest.approx(alone.item())


def test_hoyer_measure_known_vectors():
    assert sparseness(torch.ones(1, 16)).item() == pytest.approx(0.0, abs=1e-6)
    assert sparseness(torch.eye(16)[:1]).item() == pytest.approx(1.0, abs=1e-6)
    x = torch.tensor([[3.0, 4.0, 0.0, 0.0]])  # l1 7, l2 5
    assert sparseness(x).item() == pytest.approx((2 - 7 / 5) / (2 - 1), rel=1e-6)


def brute_force_projection(s: np.ndarray, l1: float, l2sq: float) -> np.ndarray:
    """min ||v - s||^2 s.t. sum v = l1, sum v^2 = l2sq, v >= 0: SLSQP from several starts."""
    best, rng = None, np.random.default_rng(0)
    for _ in range(20):
        start = np.abs(rng.normal(size=s.size))
        res = minimize(lambda v: np.sum((v - s) ** 2), start, method="SLSQP",
                       bounds=[(0, None)] * s.size,
                       constraints=[{"type": "eq", "fun": lambda v: v.sum() - l1},
                                    {"type": "eq", "fun": lambda v: (v ** 2).sum() - l2sq}],
                       options={"ftol": 1e-12, "maxiter": 500})
        if res.success and (best is None or res.fun < best.fun):
            best = res
    return best.x


@pytest.mark.parametrize("level", [0.3, 0.6, 0.85])
def test_sparseness_projection_properties_and_closest_point(level):
    rng = np.random.default_rng(1)
    s = rng.normal(size=(6, 8))
    l1 = l1_for_sparseness(8, level)
    v = project_sparseness(torch.tensor(s), torch.full((6,), l1, dtype=torch.float64),
                           torch.ones(6, dtype=torch.float64)).numpy()
    assert np.all(v >= 0)
    np.testing.assert_allclose(v.sum(1), l1, rtol=1e-9)
    np.testing.assert_allclose((v ** 2).sum(1), 1.0, rtol=1e-9)
    np.testing.assert_allclose(sparseness(torch.tensor(v)).numpy(), level, atol=1e-6)
    for row in range(3):
        brute = brute_force_projection(s[row], l1, 1.0)
        assert np.sum((v[row] - s[row]) ** 2) <= np.sum((brute - s[row]) ** 2) + 1e-6


def test_dilation_matches_scipy_grey_dilation_with_the_cross():
    rng = np.random.default_rng(2)
    images = rng.normal(size=(5, 28, 28))
    cross = ndimage.generate_binary_structure(2, 1)  # the 3x3 cross = disk of radius 1
    expected = np.stack([ndimage.grey_dilation(img, footprint=cross, mode="reflect") for img in images])
    np.testing.assert_allclose(dilate_cross(torch.tensor(images)).numpy(), expected)


def test_max_approximation_error_by_hand():
    shape = (1, 4, 4)
    atoms = np.zeros((2, 16))
    atoms[0, 5] = 1.0  # a single pixel at (1, 1)
    atoms[1, 10] = 2.0  # at (2, 2)
    codes = np.array([[1.0, 0.0], [0.5, 0.5]])
    x = codes @ atoms  # a perfect linear reconstruction
    inputs = EvalInputs(code_train=None, code_test=codes, y_train=None, y_test=np.array([0, 1]),
                        x_test=x, reconstruction_test=x, atoms=atoms, decoder_bias=None,
                        decoder_activation="identity", image_shape=shape)
    result = METRICS.get("dilation")(inputs)
    # Dilation commutes with this sum, since the two atoms' crosses overlap on max(.) = sum(.)
    # except at pixels (1, 2) and (2, 1), where the sum 0.5 + 1.0 exceeds the max 1.0.
    approx = codes @ dilate_cross(torch.tensor(atoms).reshape(2, 4, 4)).reshape(2, 16).numpy()
    target = dilate_cross(torch.tensor(x).reshape(2, 4, 4)).reshape(2, 16).numpy()
    assert result["max_approx_error"] == pytest.approx(np.mean((approx - target) ** 2))
    assert result["max_approx_error"] == pytest.approx(2 * 0.5**2 / 32)


@pytest.mark.parametrize("solver", ["batched", "liblinear"])
def test_svm_protocol_on_separable_codes(solver):
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(4), 250)
    codes = rng.normal(scale=0.1, size=(1000, 8))
    codes[np.arange(1000), labels] += 3.0
    result = svm_protocol(codes, labels, seed=0, n_c=4, select_splits=3, score_splits=10, solver=solver)
    assert result["svm_accuracy"] == 1.0 and result["svm_accuracy_std"] == 0.0
    noise = svm_protocol(rng.normal(size=(1000, 8)), labels, seed=0, n_c=4, select_splits=3,
                         score_splits=10, solver=solver)
    assert noise["svm_accuracy"] < 0.45  # chance is 0.25


def test_batched_and_liblinear_protocols_agree_on_overlapping_classes():
    rng = np.random.default_rng(4)
    labels = np.repeat(np.arange(3), 400)
    codes = np.abs(rng.normal(size=(1200, 6)) + 0.8 * np.eye(6)[labels])  # non-negative, overlapping
    options = {"n_c": 5, "select_splits": 3, "score_splits": 10}
    ours = svm_protocol(codes, labels, seed=0, solver="batched", **options)
    reference = svm_protocol(codes, labels, seed=0, solver="liblinear", **options)
    assert ours["svm_C"] == reference["svm_C"]
    assert ours["svm_accuracy"] == pytest.approx(reference["svm_accuracy"], abs=0.01)


@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_batched_linear_svm_matches_liblinear_and_is_optimal(C):
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, size=300)
    x = rng.normal(size=(300, 5)) + np.eye(5)[labels]
    X, classes = linear_svm.with_intercept(x), np.unique(labels)
    targets = linear_svm.one_vs_rest_targets(labels, classes)
    mask = torch.ones_like(targets)
    w = linear_svm.solve(X, targets, mask, torch.full((3,), C, dtype=linear_svm.DTYPE))
    margin = torch.relu(1 - targets * (w @ X.T))
    gradient = w - 2 * C * (margin * targets) @ X  # zero at the minimiser (the objective is C^1)
    assert gradient.abs().max() < 1e-6 * max(1.0, C)
    ref = LinearSVC(C=C, dual=False, tol=1e-10, max_iter=100_000).fit(x, labels)
    expected = np.hstack([ref.coef_, ref.intercept_[:, None]])
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-3, atol=1e-4)


def test_active_grams_follow_any_sequence_of_active_sets():
    """Updated from the previous Gram, the mask's or zero: always X^T diag(active) X, computed directly."""
    rng = np.random.default_rng(9)
    X = torch.tensor(rng.normal(size=(60, 5)), dtype=linear_svm.DTYPE)
    mask = torch.tensor(rng.random((7, 60)) < 0.7, dtype=linear_svm.DTYPE)
    mask[4:] = mask[0]  # problems sharing a split share its mask
    grams = linear_svm.ActiveGrams(X, mask, chunk=3)
    for change in (0.02, 0.5, 0.95, 0.1):  # few rows move, many, almost all, few again
        problems = torch.tensor(sorted(rng.choice(7, size=5, replace=False)))
        flip = torch.tensor(rng.random((5, 60)) < change, dtype=linear_svm.DTYPE)
        active = (grams.active[problems] + flip) % 2 * mask[problems]
        expected = torch.stack([(X * a[:, None]).T @ X for a in active])
        torch.testing.assert_close(grams.update(problems, active), expected, rtol=1e-12, atol=1e-10)


def test_batched_linear_svm_mask_equals_fitting_the_subset():
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 2, size=200)
    x = rng.normal(size=(200, 4)) + labels[:, None]
    X = linear_svm.with_intercept(x)
    targets = linear_svm.one_vs_rest_targets(labels, np.array([0, 1]))
    keep = rng.random(200) < 0.6
    mask = torch.as_tensor(np.tile(keep, (2, 1)), dtype=linear_svm.DTYPE)
    C = torch.full((2,), 3.0, dtype=linear_svm.DTYPE)
    masked = linear_svm.solve(X, targets, mask, C)
    subset = linear_svm.solve(X[keep], targets[:, keep], torch.ones(2, int(keep.sum()), dtype=linear_svm.DTYPE), C)
    np.testing.assert_allclose(masked.numpy(), subset.numpy(), atol=1e-9)
    np.testing.assert_allclose(masked[0].numpy(), -masked[1].numpy(), atol=1e-9)  # two classes: w0 = -w1


def test_nonneg_projection():
    w = torch.tensor([[-1.0, 2.0], [0.5, -0.1]])
    assert torch.equal(CONSTRAINTS.get("nonneg")(w, 1.0), torch.tensor([[0.0, 2.0], [0.5, 0.0]]))


def parts_cfg(name, **over):
    return OmegaConf.create({"name": name, "code_size": 7, "decay_alpha": 0.0, "decay_lambda": 0.0,
                             **over})


@pytest.mark.parametrize("name", ["shallow_ae", "asym_ae"])
def test_parts_models_shapes_and_dictionary(name):
    model = MODELS.get(name)(parts_cfg(name), DataSpec(784, 10, (1, 28, 28)))
    out = model({"x": torch.rand(4, 784)})
    assert out["code"].shape == (4, 7) and out["reconstruction"].shape == (4, 784)
    assert 0 <= out["code"].min() and out["code"].max() <= 1  # sigmoid codes
    d = model.dictionary()
    assert d.atoms.shape == (7, 784) and d.activation == "leaky_relu:0.1"
    if name == "asym_ae":
        bn = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)][0]
        assert bn.momentum == 0.01 and bn.eps == 1e-3  # Keras' BatchNorm defaults


def test_asymmetric_decay_penalises_negative_weights_only():
    model = MODELS.get("shallow_ae")(parts_cfg("shallow_ae", code_size=2, decay_lambda=2.0), DataSpec(4, 2))
    with torch.no_grad():
        model.decoder[0].weight.copy_(torch.tensor([[1.0, -2.0], [0.0, -1.0], [3.0, 0.5], [-0.5, 0.0]]))
    x = torch.zeros(1, 4)
    _, parts = model.loss({"x": x}, model({"x": x}))
    assert parts["asymmetric_decay"].item() == pytest.approx(0.5 * 2.0 * (4 + 1 + 0.25))


def test_sparse_nmf_reaches_the_sparseness_and_reconstructs():
    rng = np.random.default_rng(4)
    parts = rng.random((6, 36)) * (rng.random((6, 36)) < 0.3)
    V = torch.tensor(rng.random((200, 6)) @ parts, dtype=torch.float32)
    cfg = OmegaConf.create({"code_size": 6, "sparseness": 0.5, "n_iter": 150, "encode_iter": 50, "seed": 0})
    model = MODELS.get("sparse_nmf")(cfg, DataSpec(36, 2))
    model.fit(V)
    assert np.all(np.diff(model.history) <= 1e-3 * model.history[0])  # the objective never rises
    out = model({"x": V})
    h = out["code"]
    assert torch.all(h >= 0) and torch.all(model.W >= 0)
    np.testing.assert_allclose(sparseness(h.T).numpy(), 0.5, atol=1e-4)  # rows of H
    assert float(((out["reconstruction"] - V) ** 2).mean()) < 0.05 * float((V ** 2).mean())
    # New data is encoded with the atoms fixed (the fitted data returns its own H).
    fresh = V[:120] * 1.05
    h_new = model.encode(fresh)
    assert h_new.shape == (120, 6) and torch.all(h_new >= 0)
    assert float(((model.decode(h_new) - fresh) ** 2).mean()) < 0.1 * float((fresh ** 2).mean())


def _hoyer_nmf_reference(V: torch.Tensor, W: torch.Tensor, H: torch.Tensor, level: float, n_iter: int):
    """Hoyer's sparse NMF (H rows at sparseness ``level``) written out directly: the gradient
    and every objective from the full residual V - W H, Hoyer's own projection iteration."""
    from sparseae_cli.hoyer import project_sparseness_hoyer

    ones = torch.ones(len(H), dtype=V.dtype)
    project = lambda M: project_sparseness_hoyer(M, ones * l1_for_sparseness(M.shape[1], level), ones)  # noqa: E731
    objective = lambda W, H: 0.5 * float(((V - W @ H) ** 2).sum())  # noqa: E731
    H = project(H / torch.linalg.vector_norm(H, dim=1, keepdim=True))
    W = W * (V.sum() / (W @ H).sum())
    step, history = 1.0, []
    for _ in range(n_iter):
        grad, before = W.T @ (W @ H - V), objective(W, H)
        while step > 1e-200:
            candidate = project(H - step * grad)
            if objective(W, candidate) <= before:
                H, step = candidate, step * 1.2
                break
            step /= 2
        W = W * (V @ H.T) / (W @ (H @ H.T) + 1e-9)
        history.append(objective(W, H))
    return W, history


def test_sparse_nmf_follows_the_direct_algorithm_to_1e_10():
    """The Gram-matrix objective and the closed-form projection change the cost, not the path."""
    rng = np.random.default_rng(5)
    V = torch.tensor(rng.random((40, 150)))  # features x samples
    cfg = OmegaConf.create({"code_size": 8, "sparseness": 0.6, "n_iter": 40, "encode_iter": 0, "seed": 3})
    model = MODELS.get("sparse_nmf")(cfg, DataSpec(40, 2))
    model.fit(V.T)
    g = torch.Generator().manual_seed(3)  # the model's own initialisation, drawn the same way
    W0 = torch.randn(40, 8, generator=g).abs().double()
    H0 = torch.randn(8, 150, generator=g).abs().double()
    W, history = _hoyer_nmf_reference(V, W0, H0, 0.6, 40)
    np.testing.assert_allclose(model.history, history, rtol=1e-10)
    np.testing.assert_allclose(model.W.double().numpy(), W.numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("n, level", [(8, 0.3), (8, 0.85), (300, 0.6), (300, 0.95), (50, 0.05)])
def test_the_closed_form_sparseness_projection_is_hoyers(n, level):
    from sparseae_cli.hoyer import project_sparseness_hoyer

    s = torch.tensor(np.random.default_rng(n).normal(size=(20, n)))
    s[0, :3] = s[0, 3]  # ties
    l1 = torch.full((20,), l1_for_sparseness(n, level), dtype=torch.float64)
    l2sq = torch.full((20,), 2.0, dtype=torch.float64)
    for nonneg in (True, False):
        np.testing.assert_allclose(project_sparseness(s, l1, l2sq, nonneg).numpy(),
                                   project_sparseness_hoyer(s, l1, l2sq, nonneg).numpy(), atol=1e-11)


def test_the_code_histograms_title_clears_every_panel():
    from sparseae_cli.reporting.parts_figures import N_IMAGES, code_histograms

    codes = np.random.default_rng(0).random((N_IMAGES, 100))
    fig = code_histograms([{"code": codes}], ["one run"])  # one row: the tightest figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    title = fig._suptitle.get_window_extent(renderer)
    assert all(title.y0 >= ax.get_tightbbox(renderer).y1 for ax in fig.axes)
