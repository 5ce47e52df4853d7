"""Metrics against hand-computed cases and scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from sparseae_cli.metrics import METRICS, EvalInputs


def hand_silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    """Rousseeuw's definition, written out: s(i) = (b - a) / max(a, b)."""
    dist = np.linalg.norm(points[:, None] - points[None], axis=2)
    scores = []
    for i in range(len(points)):
        same = (labels == labels[i]) & (np.arange(len(points)) != i)
        a = dist[i, same].mean()
        b = min(dist[i, labels == c].mean() for c in set(labels) if c != labels[i])
        scores.append((b - a) / max(a, b))
    return float(np.mean(scores))


def inputs(**kwargs) -> EvalInputs:
    base = dict(code_train=np.zeros((2, 2)), code_test=np.zeros((2, 2)),
                y_train=np.array([0, 1]), y_test=np.array([0, 1]))
    return EvalInputs(**{**base, **kwargs})


def test_silhouette_matches_hand_computation():
    rng = np.random.default_rng(0)
    codes = np.concatenate([rng.normal(0, 1, (10, 3)), rng.normal(4, 1, (12, 3))])
    labels = np.array([0] * 10 + [1] * 12)
    result = METRICS.get("silhouette")(inputs(code_train=codes, y_train=labels,
                                              code_test=codes[::2], y_test=labels[::2]))
    assert result["silhouette_train"] == pytest.approx(hand_silhouette(codes, labels))
    assert result["silhouette_test"] == pytest.approx(hand_silhouette(codes[::2], labels[::2]))
    both = np.concatenate([codes, codes[::2]]), np.concatenate([labels, labels[::2]])
    assert result["silhouette_all"] == pytest.approx(hand_silhouette(*both))


@pytest.mark.parametrize("case", ["blobs", "singleton_class", "duplicates", "many_classes"])
def test_exact_silhouette_in_blocks_matches_scikit_learn(case):
    from sklearn.metrics import silhouette_score

    from sparseae_cli.metrics.silhouette import exact_silhouette

    rng = np.random.default_rng(1)
    codes = rng.normal(size=(300, 5)) + np.repeat(rng.normal(0, 2, (3, 5)), 100, axis=0)
    labels = np.repeat([7, 2, 5], 100)
    if case == "singleton_class":
        labels[0] = 9
    if case == "duplicates":
        codes[:50] = codes[0]
    if case == "many_classes":
        labels = rng.integers(0, 40, len(codes))
    # 8 rows per block: many blocks, a ragged last one
    assert exact_silhouette(codes, labels, block_bytes=8 * 8 * len(codes)) == pytest.approx(
        silhouette_score(codes, labels), rel=1e-8, abs=1e-12)
    # float32 codes (as models give them) are measured in float32, as scikit-learn does
    single = codes.astype(np.float32)
    assert exact_silhouette(single, labels, block_bytes=4 * 8 * len(codes)) == pytest.approx(
        silhouette_score(single, labels), abs=1e-5)


def test_a_subsampled_silhouette_records_its_size_and_draws_as_scikit_learn():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(2)
    codes, labels = rng.normal(size=(200, 4)), rng.integers(0, 3, 200)
    result = METRICS.get("silhouette")(inputs(code_train=None, code_test=codes, y_test=labels, seed=4,
                                              options={"silhouette_samples": 50}))
    assert result["silhouette_sample_size"] == 50
    assert result["silhouette_test"] == pytest.approx(
        silhouette_score(codes, labels, sample_size=50, random_state=4), rel=1e-8)


def test_silhouette_of_a_single_class_is_nan():
    result = METRICS.get("silhouette")(inputs(y_train=np.array([1, 1])))
    assert np.isnan(result["silhouette_train"])


def test_classification_hand_case():
    y = np.array([0, 0, 1, 1, 2, 2])
    proba = np.array([[.8, .1, .1], [.3, .6, .1], [.1, .8, .1],
                      [.2, .7, .1], [.1, .2, .7], [.5, .1, .4]])
    result = METRICS.get("classification")(inputs(y_test=y, proba_test=proba))
    # predictions 0,1,1,1,2,0: 4 of 6 right; recalls 1/2, 1, 1/2
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["balanced_accuracy"] == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert result["f1_macro"] == pytest.approx(f1_score(y, proba.argmax(1), average="macro"))
    assert result["roc_auc"] == pytest.approx(roc_auc_score(y, proba, multi_class="ovr"))


def test_binary_auc_uses_probabilities():
    y = np.array([0, 0, 1, 1])
    proba = np.array([[.9, .1], [.4, .6], [.35, .65], [.2, .8]])
    # Pairs (pos, neg): (.65>.1), (.65>.6), (.8>.1), (.8>.6): AUC = 1 though one hard label is wrong.
    result = METRICS.get("classification")(inputs(y_test=y, proba_test=proba))
    assert result["roc_auc"] == 1.0 and result["accuracy"] == 0.75


def test_reconstruction_mse():
    x = np.array([[0.0, 1.0], [2.0, 3.0]])
    rec = np.array([[0.0, 0.0], [2.0, 5.0]])
    assert METRICS.get("reconstruction")(inputs(x_test=x, reconstruction_test=rec))["mse"] == 1.25


def test_sparsity_counts_zeros_and_kept_features():
    w = np.array([[0.0, 2.0, 0.0, 1.0], [0.0, -1.0, 0.0, 0.0]])
    result = METRICS.get("sparsity")(inputs(weights={"encoder.0.weight": w},
                                           first_layer="encoder.0.weight",
                                           feature_names=["a", "b", "c", "d"]))
    assert result["weight_sparsity"] == 5 / 8
    assert result["features_kept"] == 2 and result["features_total"] == 4
    assert result["kept_features"] == ["b", "d"]  # ranked by column l2 norm


def test_metrics_skip_what_they_cannot_compute():
    assert METRICS.get("classification")(inputs()) == {}
    assert METRICS.get("reconstruction")(inputs()) == {}
    assert METRICS.get("sparsity")(inputs()) == {}


def brute_force_mcc(codes: np.ndarray, factors: np.ndarray) -> float:
    """Every one-to-one assignment of factors to units, by enumeration."""
    from itertools import permutations

    corr = np.abs(np.corrcoef(factors.T, codes.T)[: factors.shape[1], factors.shape[1]:])
    return max(np.mean([corr[i, j] for i, j in enumerate(perm)])
               for perm in permutations(range(codes.shape[1]), factors.shape[1]))


def test_factor_recovery_is_one_for_permuted_scaled_signed_factors_and_matches_brute_force():
    rng = np.random.default_rng(0)
    factors = rng.laplace(size=(300, 4))
    codes = np.column_stack([-2 * factors[:, 2] + 1, rng.normal(size=300), 0.5 * factors[:, 0],
                             factors[:, 3], 3 * factors[:, 1]])
    result = METRICS.get("factor_recovery")(inputs(code_test=codes, factors_test=factors))
    assert result["factor_mcc"] == pytest.approx(1.0)
    noisy = codes + rng.normal(scale=1.5, size=codes.shape)
    mixed = noisy @ rng.normal(size=(5, 5))
    for candidate in (noisy, mixed):
        got = METRICS.get("factor_recovery")(inputs(code_test=candidate, factors_test=factors))
        assert got["factor_mcc"] == pytest.approx(brute_force_mcc(candidate, factors))
        assert got["factor_mcc"] <= got["factor_best_correlation"] + 1e-12
    assert METRICS.get("factor_recovery")(inputs(code_test=codes)) == {}


def test_active_units_count_latents_whose_location_varies_above_the_threshold():
    rng = np.random.default_rng(0)
    codes = np.column_stack([rng.normal(scale=1.0, size=500), rng.normal(scale=0.05, size=500),
                             np.full(500, 3.0), rng.normal(scale=0.2, size=500)])
    # variances ~1, 0.0025, 0, 0.04: two above Burda et al.'s 0.01
    result = METRICS.get("active_units")(inputs(code_test=codes, options={"active_threshold": 0.01}))
    assert result == {"active_units": 2, "active_fraction": 0.5}


def test_latent_patterns_probe_each_latent_alone_and_score_gabors_above_their_shuffle():
    from sparseae_cli.metrics.latent_patterns import gabor_bank, latent_patterns

    rng = np.random.default_rng(0)
    bank = gabor_bank(8, 8).astype(np.float64)
    atoms = np.stack([bank[10], bank[300], np.zeros(64)])  # two Gabor latents, one unused
    decode = lambda codes: codes @ atoms  # noqa: E731  a linear decoder: patterns are scaled atoms
    codes = rng.normal(size=(400, 3))
    patterns = latent_patterns(decode, codes)
    step = np.percentile(np.abs(codes - np.median(codes, 0)), 90, axis=0)
    assert np.allclose(patterns, step[:, None] * atoms)
    result = METRICS.get("latent_patterns")(inputs(code_train=codes, decode=decode, image_shape=(1, 8, 8)))
    assert result["pattern_inactive"] == 1
    assert result["pattern_gabor_fit"] == pytest.approx(1.0, abs=1e-5)
    assert result["pattern_gabor_fit_shuffled"] < 0.8
    pixel = np.zeros((1, 64))
    pixel[0, 27] = 1.0
    one_pixel = METRICS.get("latent_patterns")(inputs(code_train=codes[:, :1], decode=lambda c: c @ pixel,
                                                      image_shape=(1, 8, 8)))
    assert one_pixel["pattern_localisation"] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("classes, present, ties", [(9, 9, False), (9, 9, True), (5, 3, False), (2, 2, True)])
def test_roc_auc_matches_scikit_learn(classes, present, ties):
    """The rank form of the one-vs-rest AUC against roc_auc_score's curves: ties (probabilities
    rounded), test folds missing classes (renormalised) and the binary case."""
    rng = np.random.default_rng(classes * 10 + present)
    y = rng.choice(present, 96) if present < classes else rng.permutation(np.arange(96) % classes)
    proba = rng.dirichlet(np.ones(classes), 96)
    proba = np.round(proba, 1) + 1e-3 if ties else proba
    proba /= proba.sum(1, keepdims=True)
    result = METRICS.get("classification")(inputs(y_test=y, proba_test=proba))["roc_auc"]
    if classes == 2:
        expected = roc_auc_score(y, proba[:, 1])
    elif present < classes:
        kept = np.unique(y)
        sub = proba[:, kept] / proba[:, kept].sum(1, keepdims=True)
        expected = roc_auc_score(np.searchsorted(kept, y), sub, multi_class="ovr")
    else:
        expected = roc_auc_score(y, proba, multi_class="ovr", average="macro")
    assert result == pytest.approx(expected, rel=1e-12)
