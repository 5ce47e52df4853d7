"""The lecture's autoencoder family (issue: linear = PCA, MLP/deep/conv, L1, denoising,
contractive, binary codes), each checked against an independent reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from scipy.linalg import subspace_angles
from scipy.ndimage import gaussian_filter
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from sparseae_cli import runner
from sparseae_cli.cli import conf_dir
from sparseae_cli.config_check import config_groups
from sparseae_cli.corruptions import corrupt_array, make_corruption
from sparseae_cli.errors import DataError, UsageError
from sparseae_cli.metrics import METRICS, EvalInputs
from sparseae_cli.metrics.bce import binary_cross_entropy
from sparseae_cli.metrics.retrieval import hamming_precision
from sparseae_cli.models import MODELS, DataSpec
from sparseae_cli.models.base import GradientModel
from sparseae_cli.models.conv_ae import valid_stages
from sparseae_cli.regularizers import REGULARIZERS, Penalized
from sparseae_cli.training.checkpoint import Checkpoint
from sparseae_cli.training.context import TrainingContext
from sparseae_cli.training.ensemble import stack_models
from sparseae_cli.training.loop import Batches, train_epochs

from .conftest import composed

MNIST = DataSpec(784, 10, (1, 28, 28))
ADAM = OmegaConf.create({"optimizer": "adam", "lr": 5e-3, "weight_decay": 0.0})


def build(name: str, *overrides: str, spec: DataSpec = MNIST, seed: int = 0):
    torch.manual_seed(seed)
    return MODELS.get(name)(composed(f"model={name}", *overrides).model, spec)


def autograd_contraction(model, x: torch.Tensor) -> torch.Tensor:
    """||d encode / dx||_F^2 row by row with torch.autograd.functional.jacobian (the reference)."""
    return torch.stack([torch.autograd.functional.jacobian(lambda r: model.encode(r[None])[0], row).square().sum()
                        for row in x])


# --- linear AE = PCA ---------------------------------------------------------------------------

def test_linear_ae_learns_the_principal_subspace():
    """On data with a clear spectral gap the decoder's columns span PCA's top-k subspace and the
    reconstruction error is within 1% of PCA's (Baldi & Hornik 1989)."""
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(32, 4)))[0]
    X = (rng.normal(size=(1000, 4)) * [3.0, 2.5, 2.0, 1.5]) @ basis.T + 0.1 * rng.normal(size=(1000, 32)) + 0.5
    X = X.astype(np.float32)
    model = build("linear_ae", "model.code_size=4", spec=DataSpec(32, 2))
    for lr in (1e-2, 1e-3, 1e-4):  # a step decay: Adam's step noise keeps the MSE ~5% above the optimum
        batches = Batches({"x": torch.as_tensor(X)}, 50, torch.Generator().manual_seed(0))
        train_epochs(model, batches, OmegaConf.merge(ADAM, {"lr": lr}), 40)
    pca = PCA(n_components=4).fit(X)
    atoms = model.dictionary().atoms
    assert np.degrees(subspace_angles(atoms.T.astype(float), pca.components_.T)).max() < 2.0
    with torch.no_grad():
        ours = np.mean((model({"x": torch.as_tensor(X)})["reconstruction"].numpy() - X) ** 2)
    theirs = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2)
    assert ours <= 1.01 * theirs
    inputs = EvalInputs(None, np.zeros((len(X), 4)), np.zeros(0), np.zeros(0), x_test=X, x_train=X,
                        reconstruction_test=model({"x": torch.as_tensor(X)})["reconstruction"].detach().numpy(),
                        atoms=atoms, decoder_activation="identity")
    reported = METRICS.get("pca_subspace")(inputs)
    assert reported["pca_angle_max"] < 2.0 and reported["mse_over_pca"] == pytest.approx(ours / theirs, rel=1e-4)


# --- architectures -----------------------------------------------------------------------------

def test_mlp_ae_mirrors_its_hidden_sizes():
    model = build("mlp_ae", "model.hidden=[128,64,32]")
    sizes = [layer.out_features for layer in model.modules() if isinstance(layer, torch.nn.Linear)]
    assert sizes == [128, 64, 32, 64, 128, 784]  # the blog's deep AE


def test_conv_ae_is_the_blogs_architecture_on_mnist():
    """Conv16-MP, Conv8-MP, Conv8-MP -> (8, 4, 4); decoder Conv8-UP, Conv8-UP, Conv16 'valid'-UP, Conv1."""
    model = build("conv_ae")
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 8, 8, 8, 8, 16, 1]
    assert [c.padding for c in convs] == [(1, 1)] * 5 + [(0, 0), (1, 1)]
    out = model({"x": torch.rand(2, 784)})
    assert out["code"].shape == (2, 128) and out["reconstruction"].shape == (2, 784)
    assert build("conv_ae", "model.channels=[32,32]")({"x": torch.rand(1, 784)})["code"].shape == (1, 32 * 7 * 7)


@pytest.mark.parametrize("start, target, stages, expected", [
    ((4,), (28,), 3, (2,)),   # 4 -> 8 -> 16 -(valid)-> 14 -> 28
    ((7,), (28,), 2, ()),     # 7 -> 14 -> 28: no valid convolution needed
    ((1,), (8,), 3, ()),      # digits: 1 -> 2 -> 4 -> 8
    ((3,), (10,), 2, None),   # no choice lands on 10: the decoder resizes at the end
])
def test_decoder_valid_convolutions_land_on_the_input_size(start, target, stages, expected):
    assert valid_stages(start, target, stages) == expected


def test_conv_ae_refuses_tables_and_too_many_poolings():
    with pytest.raises(UsageError, match="needs images"):
        build("conv_ae", spec=DataSpec(50, 2))
    with pytest.raises(UsageError, match="too many"):
        build("conv_ae", "model.channels=[4,4,4,4]", spec=DataSpec(64, 2, (1, 8, 8)))


def test_cross_entropy_needs_data_in_the_unit_interval():
    model = build("mlp_ae", spec=DataSpec(4, 2))
    model.check_inputs(np.array([[0.0, 1.0, 0.5, 0.2]]))
    with pytest.raises(DataError, match="model.loss=bce needs inputs in \\[0, 1\\]"):
        model.check_inputs(np.array([[-1.0, 2.0, 0.5, 0.2]]))
    with pytest.raises(UsageError, match="needs model.output=sigmoid"):
        build("mlp_ae", "model.output=identity", spec=DataSpec(4, 2))


def test_the_loss_is_keras_binary_cross_entropy_per_pixel():
    model = build("mlp_ae", spec=DataSpec(16, 2))
    x = torch.rand(8, 16)
    outputs = model({"x": x})
    loss, _ = model.loss({"x": x}, outputs)
    reference = torch.nn.functional.binary_cross_entropy(outputs["reconstruction"], x)
    assert loss.item() == pytest.approx(reference.item(), rel=1e-5)
    assert binary_cross_entropy(outputs["reconstruction"].detach().numpy(), x.numpy()) == pytest.approx(
        reference.item(), rel=1e-5)


# --- L1 activity penalty -----------------------------------------------------------------------

def test_l1_has_the_blogs_scaling_per_example_sum_batch_mean():
    """1e-4 * mean_i sum_j |h_ij|: by hand, and unchanged by repeating the batch (not a batch sum)."""
    code = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.5, 3.0]])
    l1 = REGULARIZERS.get("l1")
    cfg = OmegaConf.create({"beta": 1e-4})
    assert l1(Penalized(code, {}, None), cfg).item() == pytest.approx(1e-4 * (3.0 + 4.0) / 2)
    assert l1(Penalized(code.repeat(128, 1), {}, None), cfg).item() == pytest.approx(1e-4 * 3.5)


# --- contractive penalty -----------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["sigmoid", "relu", "identity"])
def test_closed_form_jacobian_norm_of_one_layer_matches_autograd(activation):
    model = build("mlp_ae", "model.hidden=[7]", f"model.activation={activation}", "model.loss=mse",
                  "model.output=identity", spec=DataSpec(12, 2))
    x = torch.rand(5, 12)
    assert torch.allclose(model.contraction(x), autograd_contraction(model, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, overrides, spec", [
    ("mlp_ae", ["model.hidden=[16,8,5]", "model.activation=tanh"], DataSpec(12, 2)),  # torch.func jacrev
    ("conv_ae", ["model.channels=[2]"], DataSpec(16, 2, (1, 4, 4))),                  # code 8 > ... jacrev
    ("conv_ae", ["model.channels=[8]"], DataSpec(16, 2, (1, 4, 4))),                  # code 32 > 16: jacfwd
])
def test_exact_jacobian_norm_of_deeper_encoders_matches_autograd(name, overrides, spec):
    model = build(name, *overrides, spec=spec)
    x = torch.rand(4, spec.n_features)
    assert torch.allclose(model.contraction(x), autograd_contraction(model, x), rtol=1e-4, atol=1e-6)


def test_stacked_contraction_equals_each_members_own():
    members = [build("mlp_ae", "model.hidden=[9,4]", spec=DataSpec(10, 2), seed=s) for s in range(3)]
    x = torch.rand(3, 6, 10)
    expected = torch.stack([GradientModel.contraction(m, x[e]) for e, m in enumerate(members)])
    assert torch.allclose(GradientModel.contraction(stack_models(members), x), expected, atol=1e-5)


def test_contractive_penalty_is_beta_times_the_batch_mean_and_trains():
    model = build("mlp_ae", "model.activation=sigmoid", spec=DataSpec(10, 2))
    x = torch.rand(6, 10)
    cfg = OmegaConf.create({"beta": 0.3})
    value = REGULARIZERS.get("contractive")(Penalized(model({"x": x})["code"], {"x": x}, model), cfg)
    assert value.item() == pytest.approx(0.3 * autograd_contraction(model, x).mean().item(), rel=1e-5)
    value.backward()
    assert model.encoder[0].weight.grad.abs().sum() > 0


# --- denoising ---------------------------------------------------------------------------------

def test_gaussian_corruption_is_drawn_from_the_runs_generator_and_clipped():
    x = torch.rand(5, 6)
    cfg = OmegaConf.create({"corruption": "gaussian", "noise_factor": 0.5})
    corrupt = make_corruption(cfg, torch.tensor([0.0, 1.0]))  # training inputs spanning [0, 1]
    batch = corrupt({"x": x}, TrainingContext((torch.Generator().manual_seed(3),)))
    expected = (x + 0.5 * torch.randn(5, 6, generator=torch.Generator().manual_seed(3))).clamp(0, 1)
    assert torch.equal(batch["x"], expected) and torch.equal(batch["clean"], x)


def test_masking_corruption_zeroes_about_its_fraction():
    x = torch.rand(200, 50) + 0.1
    cfg = OmegaConf.create({"corruption": "masking", "noise_factor": 0.3})
    corrupt = make_corruption(cfg, torch.tensor([0.0, 2.0]))
    noisy = corrupt({"x": x}, TrainingContext((torch.Generator().manual_seed(0),)))["x"]
    assert (noisy == 0).float().mean().item() == pytest.approx(0.3, abs=0.02)
    assert torch.equal(noisy[noisy != 0], x[noisy != 0])


def test_the_loss_compares_with_the_clean_input():
    model = build("mlp_ae", spec=DataSpec(6, 2))
    clean, noisy = torch.rand(4, 6), torch.rand(4, 6)
    outputs = model({"x": noisy})
    with_clean, _ = model.loss({"x": noisy, "clean": clean}, outputs)
    assert with_clean.item() == pytest.approx(
        torch.nn.functional.binary_cross_entropy(outputs["reconstruction"], clean).item(), rel=1e-5)


def test_corrupted_training_resumes_bit_for_bit(tmp_path):
    """The noise comes from the checkpointed generator: a run killed mid-epoch resumes exactly."""
    cfg = OmegaConf.create({"optimizer": "adadelta", "lr": 1.0, "weight_decay": 0.0,
                            "corruption": "gaussian", "noise_factor": 0.5})
    x = torch.rand(40, 16)

    class Killed(Exception):
        pass

    def kill_after(steps):
        calls = []

        def penalty(batch, outputs, ctx):
            calls.append(ctx.step)
            if len(calls) > steps:
                raise Killed

        return penalty

    def run(checkpoint=None, penalty=None):
        model = build("mlp_ae", "model.hidden=[5]", spec=DataSpec(16, 2))
        batches = Batches({"x": x}, 8, torch.Generator().manual_seed(1))
        return model, train_epochs(model, batches, cfg, 4, penalty=penalty, checkpoint=checkpoint)

    reference, ref_history = run()
    with pytest.raises(Killed):
        run(Checkpoint(tmp_path, 1, "h"), kill_after(12))  # killed in epoch 3 (5 steps an epoch)
    resumed, history = run(Checkpoint(tmp_path, 1, "h"))
    assert history == ref_history
    assert all(torch.equal(a, b) for a, b in zip(reference.state_dict().values(), resumed.state_dict().values()))


def test_evaluation_noise_is_seeded_and_the_filter_baseline_is_scipys():
    x = np.random.default_rng(0).random((6, 64)).astype(np.float32)
    noisy = corrupt_array(x, "gaussian", 0.5, seed=4, low=0.0, high=1.0)
    assert np.array_equal(noisy, corrupt_array(x, "gaussian", 0.5, seed=4, low=0.0, high=1.0))
    inputs = EvalInputs(None, np.zeros((6, 2)), np.zeros(0), np.zeros(0), x_test=x, x_test_noisy=noisy,
                        reconstruction_test_noisy=x * 0.9, image_shape=(1, 8, 8))
    result = METRICS.get("denoising")(inputs)
    best = min(np.mean((gaussian_filter(noisy.reshape(6, 8, 8), sigma=(0, s, s), mode="nearest").reshape(6, 64)
                        - x) ** 2) for s in (0.3, 0.5, 0.7, 0.85, 1.0, 1.25, 1.5, 2.0, 3.0))
    assert result["denoise_mse_filter"] == pytest.approx(best, rel=1e-6)
    assert result["denoise_mse_noisy"] == pytest.approx(np.mean((noisy - x) ** 2))
    assert result["denoise_mse_model"] == pytest.approx(np.mean((0.9 * x - x) ** 2))


# --- binary codes ------------------------------------------------------------------------------

def test_binary_codes_are_binary_at_evaluation_and_noisy_sigmoids_in_training():
    model = build("binary_ae", "model.hidden=[8,6]", spec=DataSpec(10, 2))
    x = torch.rand(5, 10)
    model.eval()
    code = model({"x": x})["code"]
    assert set(code.unique().tolist()) <= {0.0, 1.0}
    model.train()
    ctx = TrainingContext((torch.Generator().manual_seed(0),))
    noisy = model({"x": x}, ctx)["code"]
    pre = model.encoder(x)
    expected = torch.sigmoid(pre + 4.0 * torch.randn(pre.shape, generator=torch.Generator().manual_seed(0)))
    assert torch.allclose(noisy, expected)


def test_hamming_precision_matches_brute_force_neighbours():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 2, size=(60, 12)).astype(np.uint8)
    labels = rng.integers(0, 3, size=60)
    # scikit-learn's Hamming distance is the fraction of differing bits; ties by index (stable)
    distance = NearestNeighbors(metric="hamming").fit(codes).kneighbors_graph(codes, 60, mode="distance").toarray()
    np.fill_diagonal(distance, np.inf)
    nearest = np.argsort(distance, axis=1, kind="stable")[:, :5]
    assert hamming_precision(codes, labels, 5) == pytest.approx((labels[nearest] == labels[:, None]).mean())


# --- every row of the lecture's table runs -----------------------------------------------------

TINY = ["train.epochs=1", "dataset.max_samples=300", "eval.svm.n_c=2", "eval.svm.select_splits=2",
        "eval.svm.score_splits=2", "eval.contraction_samples=3", "train.checkpoint_every=0"]


@pytest.mark.parametrize("row", config_groups(conf_dir())["lecture_model"])
def test_every_lecture_row_runs_one_epoch_on_mnist(row, tmp_path, data_dir):
    cfg = composed("experiment=lecture_mnist", f"lecture_model={row}", f"data_dir={data_dir}", *TINY)
    assert cfg.constraint.name == "none"  # the models propose no projection
    record = runner.run(cfg, tmp_path)
    fold = record["folds"][0]
    assert record["status"] == "complete" and fold["mse"] > 0
    assert ("bce_test" in fold) == (cfg.model.get("output", "identity") == "sigmoid")  # probabilities only
    assert ("denoise_mse_model" in fold) == (cfg.train.corruption != "none")
    assert ("retrieval_precision" in fold) == (cfg.model.name == "binary_ae")
    assert ("pca_angle_max" in fold) == (cfg.model.name == "linear_ae")


def test_a_models_proposed_constraint_and_metrics_yield_to_the_command_line():
    assert composed("model=mlp_ae").constraint.name == "none"
    assert composed("model=mlp_ae", "constraint=l11").constraint.name == "l11"
    assert composed("model=mlp_ae", "eval=default").eval.metrics[0] == "silhouette"
    assert composed("model=supervised_ae").constraint.name == "l11"


def test_figures_show_noisy_and_denoised_rows_and_jacobian_spectra(tmp_path, data_dir):
    from sparseae_cli.artifacts import RunArtifacts
    from sparseae_cli.reporting.figures_command import figures

    runs = []
    for row, extra in (("denoising", ["model.channels=[4,4]"]), ("simple", [])):
        cfg = composed("experiment=lecture_mnist", f"lecture_model={row}", f"data_dir={data_dir}", *TINY,
                       "eval.metrics=[reconstruction,denoising,contraction]", *extra)
        (tmp_path / row).mkdir()
        runner.run(cfg, tmp_path / row)
        runs.append(tmp_path / row)
    examples = RunArtifacts(runs[0]).examples()
    assert examples["noisy"].shape == examples["denoised"].shape == examples["x"].shape
    assert figures([*map(str, runs), "--out", str(tmp_path / "fig")]) == 0
    assert (tmp_path / "fig" / "jacobian_spectra.png").exists()  # the simple row reports a spectrum
    assert (tmp_path / "fig" / "reconstructions_denoising.png").exists()
    # A one-layer decoder of 32 atoms (fewer than the 50 the atom figure shows) gets its atoms drawn.
    assert figures([str(runs[1]), "--out", str(tmp_path / "atoms")]) == 0
    assert (tmp_path / "atoms" / "parts_atoms_simple.png").exists()
