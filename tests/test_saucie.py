"""SAUCIE's regularisers against hand computation on 4-row batches, its cluster read-out, the
model's loss, and batch correction doing what it is for on a generated two-batch set."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import entropy

from sparseae_cli import runner
from sparseae_cli.models._saucie_terms import (
    SCALES,
    batch_corrected_reconstruction,
    binary_clusters,
    information_dimension,
    mmd,
    multiscale_kernel,
    standardise,
    within_cluster_distance,
)
from sparseae_cli.models.saucie import Saucie

from .conftest import composed

LAYER = np.array([[0.0, 2.0, 1.0], [4.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 4.0]])


def kernel(d: float) -> float:
    return float(np.mean([np.exp(-d / (2 * s)) for s in SCALES]))


def t(a) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64)


def test_multiscale_kernel_is_the_mean_of_19_gaussians():
    d = np.array([[0.0, 0.5], [3.0, 1e4]])
    expected = np.vectorize(kernel)(d)
    np.testing.assert_allclose(multiscale_kernel(t(d)).numpy(), expected, rtol=1e-12)
    assert len(SCALES) == 19 and kernel(0.0) == 1.0


def test_information_dimension_is_the_entropy_of_neuron_usage():
    a = LAYER / LAYER.max()  # one scalar maximum over the batch
    usage = a.sum(0) / a.sum()  # = column sums / 14
    expected = -(usage * np.log(usage + 1e-9)).sum()
    assert information_dimension(t(LAYER)).item() == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(entropy(usage), abs=1e-8)  # scipy's, up to the 1e-9 guard
    # one neuron used by every row: no entropy; every neuron equally: log(k)
    assert information_dimension(t([[0.0, 5.0, 0.0]] * 4)).item() == pytest.approx(0, abs=1e-8)
    assert information_dimension(t(np.eye(3))).item() == pytest.approx(np.log(3), rel=1e-8)


def test_within_cluster_distance_by_a_double_loop():
    a = LAYER / LAYER.max()
    n = len(a)
    similarity = np.array([[kernel(np.sum((a[i] - a[j]) ** 2)) for j in range(n)] for i in range(n)])
    similarity = (similarity - similarity.min()) / (similarity.max() - similarity.min())
    distance = np.array([[np.sqrt(np.sum((X[i] - X[j]) ** 2) + 1e-3) for j in range(n)] for i in range(n)])
    expected = (distance * similarity).sum() / n**2  # all B^2 pairs, i = j included
    assert within_cluster_distance(t(LAYER), t(X)).item() == pytest.approx(expected, rel=1e-9)


def test_mmd_by_hand_is_zero_for_identical_samples_and_grows_with_a_shift():
    e = np.array([[1.0, 2.0], [2.0, 0.5], [1.5, 1.0], [3.0, 2.5]])
    groups = np.array([0, 1, 0, 1])
    scaled = e / np.abs(e).mean()
    sq = ((scaled[:, None] - scaled[None]) ** 2).sum(-1)
    k = np.vectorize(kernel)(sq / sq.max())
    r, g = groups == 0, groups == 1
    expected = abs(k[r][:, r].mean() + k[g][:, g].mean() - 2 * k[r][:, g].mean())
    assert mmd(t(e), torch.tensor(groups)).item() == pytest.approx(expected, rel=1e-9)

    same = np.vstack([e, e[::-1]])  # the second sample is the first, in another order
    assert mmd(t(same), torch.tensor([0] * 4 + [1] * 4)).item() == pytest.approx(0, abs=1e-12)
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 2))
    gaps = [mmd(t(np.vstack([base, base + shift])), torch.tensor([0] * 40 + [1] * 40)).item()
            for shift in (0.0, 0.5, 3.0)]
    assert gaps[0] == pytest.approx(0, abs=1e-12) and gaps[0] < gaps[1] < gaps[2]
    assert mmd(t(e), torch.tensor([1, 1, 2, 2])).item() == 0  # no reference batch in this batch


def test_mmd_sums_over_every_non_reference_batch():
    rng = np.random.default_rng(1)
    e = t(rng.normal(size=(9, 2)))
    groups = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
    # with one scale (max D over the whole batch) the two-batch terms are not the pairwise MMDs
    # computed alone; the sum over batches 1 and 2 is checked against the same kernel matrix
    scaled = e / e.abs().mean()
    sq = torch.cdist(scaled, scaled).square()
    k = multiscale_kernel(sq / sq.max())
    r = groups == 0
    parts = [(k[r][:, r].mean() + k[g][:, g].mean() - 2 * k[r][:, g].mean()).abs()
             for g in (groups == 1, groups == 2)]
    assert mmd(e, groups).item() == pytest.approx(sum(parts).item(), rel=1e-12)


def test_batch_corrected_reconstruction_by_hand():
    rng = np.random.default_rng(2)
    x, recon = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    groups = np.array([0, 1, 0, 1, 1, 0])
    ref, other = groups == 0, groups == 1

    def z(v):
        return (v - v.mean(0)) / (np.sqrt(v.var(0) + 1e-6) + 1e-6)

    expected = ((recon[ref] - x[ref]) ** 2).mean() + 0.01 * ((z(recon[other]) - z(x[other])) ** 2).mean()
    got = batch_corrected_reconstruction(t(recon), t(x), torch.tensor(groups)).item()
    assert got == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(standardise(t(x)).numpy(), z(x), rtol=1e-10)


def test_binary_clusters_keep_codes_held_by_more_than_min_size_cells():
    on, off = 1.0, 0.0
    layer = np.array([[on, off]] * 4 + [[off, on], [off, on], [on, on], [2e-7, on]])
    # divided by the max (1): the last row's 2e-7 is below 1e-6, so it binarises as (off, on)
    np.testing.assert_array_equal(binary_clusters(layer, min_size=1), [0, 0, 0, 0, 1, 1, -1, 1])
    np.testing.assert_array_equal(binary_clusters(layer, min_size=2), [0, 0, 0, 0, 1, 1, -1, 1])
    np.testing.assert_array_equal(binary_clusters(layer, min_size=3), [0, 0, 0, 0, -1, -1, -1, -1])
    np.testing.assert_array_equal(binary_clusters(layer, min_size=0), [0, 0, 0, 0, 1, 1, 2, 1])
    np.testing.assert_array_equal(binary_clusters(5 * layer, min_size=0), binary_clusters(layer, min_size=0))
    assert (binary_clusters(np.zeros((3, 2)), 0) == 0).all()  # a dead layer: one code


def small_saucie(**lambdas) -> Saucie:
    torch.manual_seed(0)
    settings = {"lambda_c": 0.1, "lambda_d": 0.2, "lambda_b": 0.0, **lambdas}
    return Saucie(5, [16, 8], 2, min_cluster_size=0, **settings)


def test_the_loss_is_the_weighted_sum_of_the_terms_it_names():
    model = small_saucie(lambda_b=0.3)
    batch = {"x": torch.randn(12, 5, generator=torch.Generator().manual_seed(3)),
             "group": torch.tensor([0, 1] * 6)}
    outputs = model(batch)
    total, parts = model.loss(batch, outputs)
    assert set(parts) == {"mse", "id", "within_cluster", "mmd"}
    assert parts["id"].item() == pytest.approx(0.1 * information_dimension(outputs["layer_c"]).item())
    assert parts["mmd"].item() == pytest.approx(0.3 * mmd(outputs["code"], batch["group"]).item())
    assert parts["mse"].item() == pytest.approx(
        batch_corrected_reconstruction(outputs["reconstruction"], batch["x"], batch["group"]).item())
    assert total.item() == pytest.approx(sum(p.item() for p in parts.values()))
    # no batches in the data: no MMD, the plain MSE
    _, plain = model.loss({"x": batch["x"]}, outputs)
    assert set(plain) == {"mse", "id", "within_cluster"}
    assert plain["mse"].item() == pytest.approx((outputs["reconstruction"] - batch["x"]).square().mean().item())


def test_the_clustering_layer_is_relu_only_with_the_id_regulariser():
    x = torch.randn(50, 5, generator=torch.Generator().manual_seed(4))
    assert (small_saucie()(({"x": x}))["layer_c"] >= 0).all()
    assert small_saucie().clusters(x) is not None
    leaky = small_saucie(lambda_c=0.0)
    assert (leaky({"x": x})["layer_c"] < 0).any() and leaky.clusters(x) is None


def test_the_mmd_term_mixes_two_batches_of_a_generated_set(tmp_path):
    """A two-batch CyTOF-like set with a strong drift: the MMD term raises the neighbourhood
    batch entropy of the embedding well above SAUCIE's without it."""
    common = ["dataset=cytof_synthetic", "dataset.n_cells=1500", "dataset.n_markers=12", "dataset.n_populations=4",
              "dataset.n_batches=2", "dataset.drift=1.0", "model=saucie", "train.epochs=12", "threads=1"]
    entropy_of = {}
    for lambda_b in (0.0, 0.1):
        out = tmp_path / str(lambda_b)
        out.mkdir()
        record = runner.run(composed(*common, f"model.lambda_b={lambda_b}"), out)
        entropy_of[lambda_b] = record["summary"]["batch_entropy"]["mean"]
        assert record["summary"]["batch_entropy_input"]["mean"] < 0.3  # the drift separates the batches
    assert entropy_of[0.1] > entropy_of[0.0] + 0.05


def test_the_chunked_read_out_equals_binarising_the_whole_layer():
    model = small_saucie()
    x = torch.randn(300, 5, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        layer = model({"x": x})["layer_c"].numpy()
    np.testing.assert_array_equal(model.clusters(x, chunk=7), binary_clusters(layer, 0))
    model.min_cluster_size = 5
    np.testing.assert_array_equal(model.clusters(x, chunk=64), binary_clusters(layer, 5))
