"""The group-sparse unrolled AE (Theodosis & Ba 2023) against independent references.

- group size 1: the unrolled encoder's codes equal scikit-learn's lasso (``sparse_encode``,
  coordinate descent, ``positive=True`` for the one-sided thresholds);
- groups: the FISTA objective falls and its limit satisfies the group lasso's optimality
  conditions;
- the thresholds on hand-computed cases (a zero group included), unit atoms after every step,
  the power iteration against torch.linalg's spectral norm, the step lowered when it must be;
- the class-structure metric against brute force and constructed codes.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from sklearn.decomposition import sparse_encode

from sparseae_cli import preprocess
from sparseae_cli.metrics import METRICS, EvalInputs
from sparseae_cli.metrics.group_structure import (
    atom_silhouette,
    distance_ratio,
    group_norm_codes,
    matched_atom_correlation,
)
from sparseae_cli.models import MODELS, DataSpec
from sparseae_cli.models._group_threshold import group_soft_threshold
from sparseae_cli.models.group_sparse_ae import GroupSparseAE, power_iteration, unit_rows
from sparseae_cli.training.loop import Batches, train_epochs

from .conftest import composed

ADAM = OmegaConf.create({"optimizer": "adam", "lr": 1e-2, "weight_decay": 0.0})


def model(groups: int, group_size: int, lam: float, layers: int, threshold: str = "group",
          n_features: int = 20, seed: int = 0, step: float = 0.01) -> GroupSparseAE:
    torch.manual_seed(seed)
    return GroupSparseAE(n_features, groups, group_size, lam, step, layers, threshold, "random")


def exact_step(m: GroupSparseAE) -> None:
    """tau = 1 / ||D||_2^2: FISTA's own step."""
    with torch.no_grad():
        m.step.fill_(1 / float(torch.linalg.matrix_norm(m.atoms.double(), ord=2) ** 2))


def objective(m: GroupSparseAE, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
    """1/2 ||x - z D||^2 + lam sum_g ||z_g||, per row (eq. 6)."""
    residual = x - code @ m.atoms
    norms = group_norm_codes(code.detach().numpy(), m.code_groups())
    return 0.5 * residual.square().sum(-1) + m.lam * torch.as_tensor(norms).sum(-1)


# --- thresholds ---------------------------------------------------------------------------------

def test_group_threshold_on_hand_computed_groups():
    x = torch.tensor([[3.0, 4.0, 0.0, 0.0, 0.3, -0.4]])  # groups: norm 5, zero, norm 0.5
    out = group_soft_threshold(x, 1.0, 2, "group")
    torch.testing.assert_close(out, torch.tensor([[2.4, 3.2, 0.0, 0.0, 0.0, 0.0]]))


def test_one_sided_variants_differ_only_in_the_norm_they_threshold():
    x = torch.tensor([[3.0, -4.0]])
    # nonneg: the prox with x >= 0: relu first, then the group threshold on ||(3, 0)|| = 3.
    torch.testing.assert_close(group_soft_threshold(x, 1.0, 2, "nonneg"), torch.tensor([[2.0, 0.0]]))
    # authors: the norm of the signed group (5) scales relu(x).
    torch.testing.assert_close(group_soft_threshold(x, 1.0, 2, "authors"), torch.tensor([[2.4, 0.0]]))


@pytest.mark.parametrize("variant", ["group", "nonneg", "authors"])
def test_a_zero_group_gives_zero_and_finite_gradients(variant):
    x = torch.zeros(1, 4, requires_grad=True)
    out = group_soft_threshold(x, 0.5, 2, variant)
    out.sum().backward()
    assert torch.equal(out, torch.zeros(1, 4))
    assert torch.isfinite(x.grad).all()


def test_group_size_one_is_the_soft_threshold():
    x = torch.linspace(-2, 2, 41)[None]
    t = 0.7
    soft = torch.sign(x) * torch.clamp(x.abs() - t, min=0)
    torch.testing.assert_close(group_soft_threshold(x, t, 1, "group"), soft)
    torch.testing.assert_close(group_soft_threshold(x, t, 1, "nonneg"), torch.relu(x - t))
    torch.testing.assert_close(group_soft_threshold(x, t, 1, "authors"), torch.relu(x - t))


# --- the encoder against the lasso and the group lasso -----------------------------------------

@pytest.mark.parametrize("threshold, positive", [("group", False), ("nonneg", True), ("authors", True)])
def test_group_size_one_codes_equal_scikit_learns_lasso(threshold, positive):
    m = model(groups=30, group_size=1, lam=0.2, layers=4000, threshold=threshold).double()
    exact_step(m)
    x = torch.randn(6, 20, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        ours = m.encode(x).numpy()
    # sparse_encode's lasso_cd minimises 1/2 ||x - z D||^2 + alpha ||z||_1 (alpha scaled by d inside).
    reference = sparse_encode(x.numpy(), m.atoms.detach().numpy(), algorithm="lasso_cd", alpha=0.2,
                              positive=positive, max_iter=100_000)
    assert (reference != 0).any() and (reference == 0).any()  # a real sparse problem
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_fista_objective_falls_and_reaches_the_group_lasso_optimum():
    lam, x = 0.3, torch.randn(5, 20, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    m = model(groups=6, group_size=4, lam=lam, layers=1).double()
    exact_step(m)
    values = []
    with torch.no_grad():
        for layers in (1, 4, 16, 64, 256, 3000):
            m.layers = layers
            values.append(objective(m, x, m.encode(x)).sum().item())
        code = m.encode(x)
    assert all(b <= a + 1e-6 for a, b in zip(values, values[1:])), values
    # Optimality (eq. 6): g = D (z D - x) per row; active group: g_g = -lam z_g / ||z_g||;
    # zero group: ||g_g|| <= lam.
    gradient = ((code @ m.atoms - x) @ m.atoms.T).unflatten(-1, (6, 4))
    groups = code.unflatten(-1, (6, 4))
    norms = groups.norm(dim=-1)
    active = norms > 0
    assert active.any() and (~active).any()
    expected = -lam * groups / norms.clamp_min(1e-12)[..., None]
    torch.testing.assert_close(gradient[active], expected[active], atol=1e-6, rtol=0)
    assert (gradient[~active].norm(dim=-1) <= lam * (1 + 1e-6)).all()


# --- training: unit atoms, the step, the initialisation ----------------------------------------

def toy_columns(n: int = 48, d: int = 20) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    return {"x": torch.randn(n, d, generator=g), "y": torch.arange(n) % 3}


def test_atoms_have_unit_norm_after_every_step():
    m = model(groups=4, group_size=3, lam=0.1, layers=5)
    norms = []
    original = m.after_step

    def record():
        original()
        norms.append(m.atoms.detach().norm(dim=-1))
    m.after_step = record
    train_epochs(m, Batches(toy_columns(), 8, torch.Generator().manual_seed(0)), ADAM, 2)
    assert len(norms) == 12
    for n in norms:
        torch.testing.assert_close(n, torch.ones(12))


def test_power_iteration_matches_the_spectral_norm():
    atoms = unit_rows(torch.randn(40, 30, generator=torch.Generator().manual_seed(4), dtype=torch.float64))
    estimate, _ = power_iteration(atoms, unit_rows(torch.ones(40, dtype=torch.float64)), 500)
    torch.testing.assert_close(estimate, torch.linalg.matrix_norm(atoms, ord=2) ** 2, rtol=1e-6, atol=0)


def test_the_step_is_lowered_with_a_log_line_when_the_dictionary_outgrows_it(caplog):
    m = model(groups=300, group_size=1, lam=0.1, layers=5, step=0.01)
    with torch.no_grad():  # identical atoms: ||D||_2^2 = 300 > 1 / 0.01
        m.atoms.copy_(unit_rows(torch.ones(300, 20)))
    with caplog.at_level(logging.INFO, logger="sparseae"):
        m.after_step()
    assert float(m.step) == pytest.approx(0.9 / 300, rel=1e-4)
    assert "lowered" in caplog.text
    caplog.clear()
    m.after_step()  # the step now fits: no second line
    assert "lowered" not in caplog.text


def test_data_initialisations_draw_training_images():
    X = np.random.default_rng(5).normal(size=(60, 20)).astype(np.float32)
    y = np.repeat(np.arange(3), 20)
    m = model(groups=3, group_size=4, lam=0.1, layers=3)
    m.init = "data_class"
    m.init_from_data(X, y, torch.Generator().manual_seed(0))
    normalised = X / np.linalg.norm(X, axis=1, keepdims=True)
    atoms = m.atoms.detach().numpy()
    for g in range(3):
        for atom in atoms[g * 4:(g + 1) * 4]:
            matches = np.flatnonzero(np.isclose(normalised, atom, atol=1e-6).all(axis=1))
            assert len(matches) == 1 and y[matches[0]] == g
    m.init = "data"
    m.init_from_data(X, y, torch.Generator().manual_seed(0))
    rows = [np.flatnonzero(np.isclose(normalised, a, atol=1e-6).all(axis=1)) for a in m.atoms.detach().numpy()]
    assert all(len(r) == 1 for r in rows) and len({int(r[0]) for r in rows}) == 12  # distinct images


def test_the_yaml_defaults_are_the_papers():
    group, sparse = composed("model=group_sparse_ae").model, composed("model=ista_ae").model
    assert (group.groups, group.group_size, group.lam, group.layers, group.step) == (10, 32, 7.5, 15, 0.01)
    assert (sparse.groups, sparse.group_size, sparse.lam) == (320, 1, 0.5)
    cfg = composed("model=group_sparse_ae")
    assert cfg.preprocess.center_images is True and cfg.constraint.name == "none"
    assert cfg.train.batch_size == 64 and cfg.train.lr == 1e-3
    m = MODELS.get("group_sparse_ae")(group, DataSpec(784, 10, (1, 28, 28)))
    assert m.atoms.shape == (320, 784) and list(m.code_groups()[:33]) == [0] * 32 + [1]


def test_center_images_subtracts_the_training_mean_image():
    rng = np.random.default_rng(6)
    train, test = rng.random((30, 8)).astype(np.float32), rng.random((10, 8)).astype(np.float32)
    cfg = OmegaConf.create({"center_images": True})
    centred_train, centred_test = preprocess.fit_transform(train, test, "image", cfg)
    np.testing.assert_allclose(centred_train.mean(0), 0, atol=1e-6)
    np.testing.assert_allclose(centred_test, test - train.mean(0), atol=1e-6)
    same = preprocess.fit_transform(train, test, "image", OmegaConf.create({}))
    assert same[0] is train and same[1] is test


# --- the class-structure metric ----------------------------------------------------------------

def brute_force_ratio(vectors: np.ndarray, labels: np.ndarray) -> float:
    within, between = [], []
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            (within if labels[i] == labels[j] else between).append(np.linalg.norm(vectors[i] - vectors[j]))
    return float(np.mean(within) / np.mean(between))


def test_distance_ratio_matches_brute_force():
    rng = np.random.default_rng(7)
    vectors, labels = rng.normal(size=(30, 4)), rng.integers(0, 3, 30)
    assert distance_ratio(vectors, labels) == pytest.approx(brute_force_ratio(vectors, labels))


def class_group_codes(n_per_class: int = 120, classes: int = 4, group_size: int = 3, seed: int = 8):
    """Codes where class c uses only group c (plus the atoms: group c's are class c's mean)."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(classes), n_per_class)
    codes = np.zeros((len(y), classes * group_size))
    for c in range(classes):
        codes[y == c, c * group_size:(c + 1) * group_size] = rng.random((n_per_class, group_size)) + 0.5
    return codes, y, np.repeat(np.arange(classes), group_size)


def test_codes_that_live_in_their_class_group_score_full_structure():
    codes, y, groups = class_group_codes()
    rng = np.random.default_rng(9)
    class_means = rng.normal(size=(4, 16))
    permutation = [2, 0, 3, 1]  # group g holds the atoms of class permutation[g]
    atoms = np.concatenate([np.repeat(class_means[p][None], 3, 0) + 0.01 * rng.normal(size=(3, 16))
                            for p in permutation])
    x_train = np.repeat(class_means, 5, axis=0)
    inputs = EvalInputs(code_train=None, code_test=codes, y_train=np.repeat(np.arange(4), 5), y_test=y,
                        atoms=atoms, x_train=x_train, code_groups=groups,
                        options=OmegaConf.create({"per_class": 100}))
    result = METRICS.get("group_structure")(inputs)
    assert result["n_groups"] == 4 and result["group_energy_dominant"] == pytest.approx(1.0)
    assert result["group_dominant_distinct"] == 4 and result["active_groups"] == 1.0
    assert result["group_distance_ratio"] < 0.5 and result["group_silhouette"] > 0.5
    assert result["atom_class_correlation"] > 0.99 and result["atom_silhouette"] > 0.99


def test_ungrouped_unstructured_codes_score_no_structure():
    rng = np.random.default_rng(10)
    codes, y = rng.normal(size=(400, 12)), np.repeat(np.arange(4), 100)
    inputs = EvalInputs(code_train=None, code_test=codes, y_train=y, y_test=y)
    result = METRICS.get("group_structure")(inputs)
    assert result["n_groups"] == 12
    assert result["group_distance_ratio"] == pytest.approx(1.0, abs=0.05)
    assert abs(result["group_silhouette"]) < 0.05


def test_matched_correlation_is_the_best_one_to_one_assignment():
    rng = np.random.default_rng(11)
    atoms, class_means = rng.normal(size=(5, 9)), rng.normal(size=(3, 9))
    best = max(np.mean([abs(np.corrcoef(class_means[c], atoms[g])[0, 1]) for c, g in enumerate(choice)])
               for choice in itertools.permutations(range(5), 3))
    assert matched_atom_correlation(atoms, None, class_means) == pytest.approx(best)
    # Groups {0, 1}, {2, 3, 4}: a group scores the mean |correlation| of its atoms.
    groups = np.array([0, 0, 1, 1, 1])
    score = np.abs(np.corrcoef(class_means, atoms)[:3, 3:])
    per_group = np.stack([score[:, :2].mean(1), score[:, 2:].mean(1)], axis=1)  # (3 classes, 2 groups)
    best_grouped = max(np.mean([per_group[c, g] for c, g in zip(classes, (0, 1))])
                       for classes in itertools.permutations(range(3), 2))
    assert matched_atom_correlation(atoms, groups, class_means) == pytest.approx(best_grouped)


def test_atom_silhouette_is_each_atoms_best_class_correlation_averaged():
    class_means = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    atoms = np.array([[2.0, 0.0, 0.0, 0.0], [0.0, 0.0, -3.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    # |corr| with the best class: 1, 1 (sign ignored), and 1/3 for an atom orthogonal to both.
    assert atom_silhouette(atoms, class_means) == pytest.approx((1 + 1 + 1 / 3) / 3)


def test_zero_codes_are_left_out_of_hoyer_and_counted():
    codes = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    result = METRICS.get("hoyer")(EvalInputs(code_train=None, code_test=codes, y_train=None, y_test=None))
    assert result["hoyer_sparsity"] == pytest.approx(0.5, abs=1e-6)  # (1 + 0) / 2
    assert result["zero_codes"] == pytest.approx(1 / 3)


# --- end to end: the three rows on digits, their metrics and figures ---------------------------

ROWS = {
    "pixels": ["model=pixel_basis"],
    "sparse": ["model=ista_ae", "model.groups=40"],
    "group": ["model=group_sparse_ae", "model.group_size=4", "model.lam=0.5", "model.init=data_class"],
}


@pytest.fixture(scope="module")
def digit_runs(tmp_path_factory):
    from sparseae_cli import runner

    folders = {}
    for name, overrides in ROWS.items():
        folder = tmp_path_factory.mktemp(name)
        cfg = composed(*overrides, "train.epochs=1", "split.folds=2", "eval.per_class=20",
                       "eval.svm.n_c=2", "eval.svm.select_splits=2", "eval.svm.score_splits=2")
        runner.run(cfg, folder)
        folders[name] = folder
    return folders


def test_every_row_trains_and_reports_its_class_structure(digit_runs):
    import json

    for name, folder in digit_runs.items():
        record = json.loads((folder / "metrics.json").read_text())
        fold = record["folds"][0]
        for key in ("group_distance_ratio", "group_silhouette", "group_energy_dominant",
                    "atom_class_correlation", "hoyer_sparsity", "mse", "silhouette_test"):
            assert key in fold and np.isfinite(fold[key]), (name, key)
        assert record["config"]["preprocess"]["center_images"] is True
    group = json.loads((digit_runs["group"] / "metrics.json").read_text())["folds"][0]
    assert group["n_groups"] == 10
    codes = np.load(digit_runs["group"] / "codes_seed0_fold0.npz")
    assert list(codes["code_groups"]) == list(np.repeat(np.arange(10), 4))


def test_class_structure_figures_are_drawn_from_the_saved_runs(digit_runs, tmp_path):
    from sparseae_cli.reporting.figures_command import figures

    out = tmp_path / "figures"
    assert figures(["--class-structure", *map(str, digit_runs.values()), "--out", str(out)]) == 0
    names = {p.name for p in out.glob("*.png")}
    assert {"class_structure_distances.png", "class_structure_activity.png"} <= names
    assert sum(n.startswith("class_structure_atoms_") for n in names) == 3


def test_a_tampered_code_groups_file_is_refused_in_one_line(digit_runs, tmp_path):
    import shutil

    from sparseae_cli.errors import UsageError
    from sparseae_cli.reporting.figures_command import figures

    copy = tmp_path / "copied"
    shutil.copytree(digit_runs["group"], copy)
    codes = dict(np.load(copy / "codes_seed0_fold0.npz"))
    codes["code_groups"] = codes["code_groups"][:3]
    np.savez(copy / "codes_seed0_fold0.npz", **codes)
    with pytest.raises(UsageError, match="code_groups"):
        figures(["--class-structure", str(copy), "--out", str(tmp_path / "f")])
