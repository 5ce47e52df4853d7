"""The supervised autoencoder: shapes, its loss by hand, and the training schedules."""

import math

import pytest
import torch
from omegaconf import OmegaConf

from sparseae_cli.constraints import CONSTRAINTS
from sparseae_cli.errors import RunFailed, UsageError
from sparseae_cli.models import MODELS, DataSpec
from sparseae_cli.training.constrained import ConstrainedParameters
from sparseae_cli.training.ensemble import StackedBatches, StackedLinear, can_stack, stack_models, unstack_into
from sparseae_cli.training.loop import Batches
from sparseae_cli.training.schedules import fit


def model_cfg(**over):
    cfg = {"name": "supervised_ae", "arch": "netbio", "hidden": 16, "activation": "relu",
           "output_activation": None, "latent_dim": None, "lam": 0.5,
           "loss": {"reduction": "sum", "recon": "smooth_l1", "smooth_l1_beta": 1.0,
                    "class_weights": None}}
    cfg.update(over)
    return OmegaConf.create(cfg)


def train_cfg(**over):
    cfg = {"schedule": "double_descent", "optimizer": "adam", "lr": 1e-2, "weight_decay": 0.0,
           "epochs": 3, "epochs_phase2": 3, "batch_size": 16, "rewind": True}
    cfg.update(over)
    return OmegaConf.create(cfg)


def toy_data(n=64, d=12, k=3):
    g = torch.Generator().manual_seed(0)
    y = torch.arange(n) % k
    X = torch.randn(n, d, generator=g) + torch.nn.functional.one_hot(y, d).float() * 3
    return X, y


@pytest.mark.parametrize("arch, hidden", [("netbio", [16]), ("lenet", [300, 100]),
                                          ("fair4", [512] * 4)])
def test_architectures_mirror_encoder_and_latent_is_k(arch, hidden):
    model = MODELS.get("supervised_ae")(model_cfg(arch=arch), DataSpec(12, 3))
    enc = [m.out_features for m in model.encoder if isinstance(m, torch.nn.Linear)]
    dec = [m.out_features for m in model.decoder if isinstance(m, torch.nn.Linear)]
    assert enc == [*hidden, 3] and dec == [*reversed(hidden), 12]
    out = model({"x": torch.randn(5, 12)})
    assert out["code"].shape == (5, 3) and out["reconstruction"].shape == (5, 12)
    if arch == "fair4":  # the reference FairAutoEncoder ends with tanh
        assert isinstance(model.decoder[-1], torch.nn.Tanh)


def test_loss_is_cross_entropy_plus_lambda_smooth_l1_summed():
    model = MODELS.get("supervised_ae")(model_cfg(), DataSpec(4, 2))
    x, y = torch.tensor([[0.0, 2.0, -1.0, 0.5]]), torch.tensor([1])
    out = {"logits": torch.tensor([[1.0, 3.0]]), "code": None,
           "reconstruction": torch.tensor([[0.5, 0.0, -1.0, 0.0]])}
    total, parts = model.loss({"x": x, "y": y}, out)
    ce = -math.log(math.exp(3) / (math.exp(1) + math.exp(3)))
    huber = 0.5 * 0.5**2 + (2.0 - 0.5) + 0.0 + 0.5 * 0.5**2  # |d|<1: d^2/2, else |d|-1/2
    assert parts["cross_entropy"].item() == pytest.approx(ce, rel=1e-6)
    assert parts["reconstruction"].item() == pytest.approx(huber)
    assert total.item() == pytest.approx(ce + 0.5 * huber, rel=1e-6)


def test_latent_size_must_match_classes():
    with pytest.raises(UsageError, match="latent_dim=4"):
        MODELS.get("supervised_ae")(model_cfg(latent_dim=4), DataSpec(12, 3))


def run_fit(schedule="double_descent", constraint="l11", eta=5.0, **train_over):
    X, y = toy_data()
    torch.manual_seed(0)
    model = MODELS.get("supervised_ae")(model_cfg(), DataSpec(12, 3))
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    cons = ConstrainedParameters(model, constraint, eta, ["encoder.0.weight"])
    batches = Batches({"x": X, "y": y}, 16, torch.Generator().manual_seed(0))
    result = fit(model, batches, train_cfg(schedule=schedule, **train_over), cons)
    return model, initial, result


def test_double_descent_keeps_masked_weights_at_exact_zero():
    model, _, result = run_fit()
    mask = result.masks["encoder.0.weight"]
    w = model.encoder[0].weight
    assert 0 < mask.sum() < mask.numel()
    assert torch.all(w[~mask] == 0)
    assert torch.all(w[mask] != 0)  # the kept weights were retrained


def test_rewind_restarts_the_kept_weights_from_their_initial_values():
    model, initial, result = run_fit(epochs_phase2=0)
    mask = result.masks["encoder.0.weight"]
    expected = initial["encoder.0.weight"] * mask
    torch.testing.assert_close(model.encoder[0].weight.detach(), expected)
    # The other layers are back at their initial values too.
    torch.testing.assert_close(model.decoder[0].weight.detach(), initial["decoder.0.weight"])


def test_without_rewind_phase_two_starts_from_the_projection():
    model, initial, result = run_fit(epochs_phase2=0, rewind=False)
    w = model.encoder[0].weight.detach()
    assert w.abs().sum().item() == pytest.approx(5.0, rel=1e-4)  # the projected weights


def test_projected_gradient_ends_inside_the_ball():
    model, _, result = run_fit(schedule="projected_gradient", constraint="l1", eta=3.0)
    assert model.encoder[0].weight.abs().sum().item() <= 3.0 + 1e-4
    assert torch.equal(result.masks["encoder.0.weight"], model.encoder[0].weight != 0)


def test_constraint_groups_rows_when_asked():
    X, _ = toy_data()
    model = MODELS.get("supervised_ae")(model_cfg(), DataSpec(12, 3))
    cons = ConstrainedParameters(model, "l11", 2.0, ["encoder.0.weight"], groups="outputs")
    before = model.encoder[0].weight.detach().clone()
    cons.project()
    expected = CONSTRAINTS.get("l11")(before.T, 2.0).T
    torch.testing.assert_close(model.encoder[0].weight.detach(), expected)


def test_unknown_parameter_pattern_lists_names():
    model = MODELS.get("supervised_ae")(model_cfg(), DataSpec(12, 3))
    with pytest.raises(UsageError, match="encoder.0.weight"):
        ConstrainedParameters(model, "l1", 1.0, ["encoder.9.*"])


def test_nan_loss_stops_the_run():
    with pytest.raises(RunFailed, match="loss became"):
        X, y = toy_data()
        X[3, 2] = float("nan")
        model = MODELS.get("supervised_ae")(model_cfg(), DataSpec(12, 3))
        cons = ConstrainedParameters(model, "none", 1.0, [])
        batches = Batches({"x": X, "y": y}, 16, torch.Generator().manual_seed(0))
        fit(model, batches, train_cfg(schedule="plain"), cons)


def test_training_learns_a_separable_problem():
    model, _, _ = run_fit(schedule="plain", epochs=30)
    X, y = toy_data()
    assert (model.encode(X).argmax(1) == y).float().mean() > 0.9


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_loss_matches_torch_reductions_and_sums_stacked_members(reduction):
    model = MODELS.get("supervised_ae")(model_cfg(loss={"reduction": reduction, "recon": "smooth_l1",
                                                        "smooth_l1_beta": 1.0, "class_weights": None}),
                                        DataSpec(12, 3))
    X, y = toy_data(n=10)
    out = model({"x": X})
    total, _ = model.loss({"x": X, "y": y}, out)
    expected = (torch.nn.functional.cross_entropy(out["logits"], y, reduction=reduction)
                + 0.5 * torch.nn.functional.smooth_l1_loss(out["reconstruction"], X, reduction=reduction))
    torch.testing.assert_close(total, expected)
    # Two stacked copies with a zero-weight padded sample: the sum of the members' own losses.
    Xs = torch.stack([X, torch.cat([X[:9], X[:1]])])
    ys = torch.stack([y, torch.cat([y[:9], y[:1]])])
    w = torch.ones(2, 10)
    w[1, 9] = 0
    outs = {k: torch.stack([v, model({"x": Xs[1]})[k]]) for k, v in out.items()}
    stacked_total, _ = model.loss({"x": Xs, "y": ys, "weight": w}, outs)
    alone = {"x": X[:9], "y": y[:9]}
    torch.testing.assert_close(stacked_total, total + model.loss(alone, model(alone))[0])


def test_stacked_linear_matches_each_member_and_its_gradients():
    torch.manual_seed(0)
    layers = [torch.nn.Linear(7, 4).double() for _ in range(3)]
    stacked = StackedLinear(layers)
    x = torch.randn(3, 5, 7, dtype=torch.float64, requires_grad=True)
    target = torch.randn(3, 5, 4, dtype=torch.float64)
    (stacked(x) - target).square().sum().backward()
    x_alone = x.detach().clone().requires_grad_(True)
    for e, layer in enumerate(layers):  # plain nn.Linear with torch's own autograd as the reference
        (layer(x_alone[e]) - target[e]).square().sum().backward()
        torch.testing.assert_close(stacked.weight.grad[e], layer.weight.grad)
        torch.testing.assert_close(stacked.bias.grad[e], layer.bias.grad)
    torch.testing.assert_close(x.grad, x_alone.grad)
    assert stacked.weight.grad.is_contiguous()  # no layout copy for the fused optimiser


@pytest.mark.parametrize("schedule", ["double_descent", "projected_gradient"])
def test_stacked_ensemble_follows_the_same_trajectory_as_separate_runs(schedule):
    X, y = toy_data(n=70)
    sets = [{"x": X[a:b], "y": y[a:b]} for a, b in [(0, 50), (20, 69), (5, 57)]]  # 50, 49, 52: 7 batches each
    cfg = train_cfg(schedule=schedule, epochs=4, epochs_phase2=3, batch_size=8)
    alone = []
    for seed, columns in enumerate(sets):
        torch.manual_seed(seed)
        model = MODELS.get("supervised_ae")(model_cfg(), DataSpec(12, 3))
        cons = ConstrainedParameters(model, "l11", 4.0, ["encoder.0.weight"])
        res = fit(model, Batches(columns, 8, torch.Generator().manual_seed(seed)), cfg, cons)
        alone.append((model, res))
    members = []
    for seed in range(3):
        torch.manual_seed(seed)
        members.append(MODELS.get("supervised_ae")(model_cfg(), DataSpec(12, 3)))
    assert can_stack(members[0]) and StackedBatches.compatible([50, 49, 52], 8)
    stacked = stack_models(members)
    cons = ConstrainedParameters(stacked, "l11", 4.0, ["encoder.0.weight"], stacked=True)
    gens = [torch.Generator().manual_seed(s) for s in range(3)]
    res = fit(stacked, StackedBatches(sets, 8, gens), cfg, cons)
    unstack_into(stacked, members)
    for e, (model, single) in enumerate(alone):
        assert torch.equal(res.masks["encoder.0.weight"][e], single.masks["encoder.0.weight"])
        for (name, a), b in zip(model.named_parameters(), members[e].parameters()):
            torch.testing.assert_close(b, a, atol=2e-5, rtol=1e-4, msg=name)
