"""The epoch loop: early stop on a converged loss, the optimisers it builds."""

import math

import pytest
import torch
from omegaconf import OmegaConf

from sparseae_cli.models import GradientModel
from sparseae_cli.runner import budget_used
from sparseae_cli.training.loop import Batches, fall_per_epoch, has_converged, train_epochs
from sparseae_cli.training.optimizers import make_optimizer


@pytest.mark.parametrize("history, tol, window, expected", [
    ([10.0, 9.0, 8.0], 0.01, 2, False),          # 20% drop over 2 epochs = 10% an epoch
    ([10.0, 9.99, 9.98], 0.01, 2, True),         # 0.2% over 2 epochs = 0.1% an epoch
    ([10.0, 9.99, 9.97], 0.001, 2, False),       # 0.15% an epoch is not below 0.1%
    ([10.0, 9.99], 0.01, 2, False),              # not enough epochs to judge yet
    ([10.0, 10.0, 10.0], 0.0, 2, False),         # tol 0: never stop
    ([10.0, 10.5, 10.2], 0.01, 2, True),         # a loss that rose counts as no progress
    ([-10.0, -10.0, -10.001], 0.01, 2, True),    # relative to |loss| for negative losses
])
def test_has_converged_by_hand(history, tol, window, expected):
    assert has_converged(history, tol, window) is expected


class Mean(GradientModel):
    """Fits a constant to the data: the loss converges to the data's variance."""

    def __init__(self):
        super().__init__()
        self.c = torch.nn.Parameter(torch.zeros(3))

    def forward(self, batch, ctx=None):
        return {"code": self.c.expand_as(batch["x"])}

    def loss(self, batch, outputs, ctx=None):
        return ((batch["x"] - outputs["code"]) ** 2).mean(), {}


def fit_mean(stop_tol):
    X = torch.randn(64, 3, generator=torch.Generator().manual_seed(0)) + 5
    cfg = OmegaConf.create({"optimizer": "sgd", "lr": 0.1, "weight_decay": 0.0,
                            "stop_tol": stop_tol, "stop_window": 5})
    model = Mean()
    history = train_epochs(model, Batches({"x": X}, 64, torch.Generator()), cfg, 200)
    return model, history, X


def test_training_stops_once_the_loss_has_converged():
    model, history, X = fit_mean(1e-4)
    assert 10 < len(history) < 200
    assert has_converged(history, 1e-4, 5) and not has_converged(history[:-1], 1e-4, 5)
    assert torch.allclose(model.c.detach(), X.mean(0), atol=0.05)


def test_zero_tolerance_runs_every_epoch():
    _, history, _ = fit_mean(0.0)
    assert len(history) == 200


def test_without_a_progress_bar_the_log_reports_every_tenth_epoch(caplog):
    with caplog.at_level("INFO", logger="sparseae"):
        _, history, _ = fit_mean(0.0)
    lines = [r.getMessage() for r in caplog.records if "epoch" in r.getMessage()]
    assert len(lines) == 10 and lines[-1].startswith("train: epoch 200/200, loss ")
    assert f"{history[-1]:.5g}" in lines[-1]


@pytest.mark.parametrize("history, window, expected", [
    ([10.0, 9.0, 8.1], 2, 0.095),        # (10 - 8.1) / 10 / 2
    ([10.0, 9.0, 8.1], 1, 0.1),          # (9 - 8.1) / 9
    ([10.0, 9.0, 8.1], 5, 0.095),        # fewer epochs than the window: all of them
    ([4.0, 5.0], 3, -0.25),              # a rising loss falls by a negative amount
    ([0.0, 0.0], 3, 0.0),                # a loss of exactly zero has nothing left to fall
])
def test_fall_per_epoch_by_hand(history, window, expected):
    assert fall_per_epoch(history, window) == pytest.approx(expected)
    assert math.isnan(fall_per_epoch(history[:1], window))


def test_runs_record_their_budget():
    used = budget_used({"phase1": [4.0, 3.0], "phase2": [2.0, 1.9, 1.8]})
    assert used["epochs_trained"] == 5
    assert used["loss_fall_per_epoch"] == pytest.approx((2.0 - 1.8) / 2.0 / 2)
    assert budget_used({"train": []}) == {}
    assert budget_used({"train": [3.0]}) == {"epochs_trained": 1}  # no NaN in metrics.json


def adadelta_by_hand(param, grads, lr, rho, eps):
    """Zeiler's Adadelta update (Keras' form), in float64 numpy."""
    import numpy as np
    p = param.astype(np.float64)
    square_avg, acc_delta = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        square_avg = rho * square_avg + (1 - rho) * g**2
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        p = p - lr * delta
    return p


def test_adadelta_follows_the_update_rule_with_keras_defaults():
    torch.manual_seed(0)
    weights = torch.nn.Parameter(torch.randn(5, 7))
    start = weights.detach().numpy().copy()
    grads = [torch.randn(5, 7) for _ in range(4)]
    optimizer = make_optimizer([weights], OmegaConf.create({"optimizer": "adadelta", "lr": 1.0,
                                                            "weight_decay": 0.0}))
    for g in grads:
        weights.grad = g.clone()
        optimizer.step()
    expected = adadelta_by_hand(start, [g.numpy().astype("float64") for g in grads], 1.0, 0.95, 1e-7)
    assert torch.allclose(weights.detach().double(), torch.from_numpy(expected), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["adadelta", "sgd"])
def test_the_multi_tensor_step_is_bit_identical_to_the_per_tensor_one(name):
    """The loop asks for the faster multi-tensor (foreach) step; it must not change a trajectory."""
    torch.manual_seed(0)
    shapes = [(64, 300), (64,), (8, 4, 3, 3)]
    ours = [torch.nn.Parameter(torch.randn(s)) for s in shapes]
    plain = [torch.nn.Parameter(p.detach().clone()) for p in ours]
    cfg = OmegaConf.create({"optimizer": name, "lr": 0.5, "weight_decay": 1e-3, "momentum": 0.9})
    optimizer = make_optimizer(ours, cfg)
    kind = torch.optim.Adadelta if name == "adadelta" else torch.optim.SGD
    extra = {"rho": 0.95, "eps": 1e-7} if name == "adadelta" else {"momentum": 0.9}
    reference = kind(plain, lr=0.5, weight_decay=1e-3, foreach=False, **extra)
    for _ in range(5):
        grads = [torch.randn(s) for s in shapes]
        for params, opt in ((ours, optimizer), (plain, reference)):
            for p, g in zip(params, grads):
                p.grad = g.clone()
            opt.step()
    assert all(torch.equal(a, b) for a, b in zip(ours, plain))


def fit_small_net(compile_optimizer: bool, compile_loss: bool = False):
    torch.manual_seed(0)
    X = torch.rand(96, 20, generator=torch.Generator().manual_seed(1))

    class Net(GradientModel):
        def __init__(self):
            super().__init__()
            self.enc, self.dec = torch.nn.Linear(20, 6), torch.nn.Linear(6, 20)

        def forward(self, batch, ctx=None):
            code = torch.sigmoid(self.enc(batch["x"]))
            return {"code": code, "reconstruction": self.dec(code)}

        def loss(self, batch, outputs, ctx=None):
            return ((batch["x"] - outputs["reconstruction"]) ** 2).mean(), {}

    model = Net()
    cfg = OmegaConf.create({"optimizer": "adadelta", "lr": 1.0, "weight_decay": 0.0,
                            "compile_optimizer": compile_optimizer, "compile": compile_loss})
    history = train_epochs(model, Batches({"x": X}, 16, torch.Generator().manual_seed(2)), cfg, 4)
    return model, history


def test_the_compiled_optimizer_step_follows_the_eager_one():
    eager_model, eager = fit_small_net(False)
    compiled_model, compiled = fit_small_net(True)
    assert eager[-1] < eager[0]
    assert compiled == pytest.approx(eager, rel=1e-5)
    for a, b in zip(eager_model.parameters(), compiled_model.parameters()):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6)


def test_the_compiled_batch_loss_follows_the_eager_one():
    """train.compile: forward, loss and backward through torch.compile's graph (96 rows in batches
    of 16: one shape; 4 epochs)."""
    eager_model, eager = fit_small_net(False)
    compiled_model, compiled = fit_small_net(False, compile_loss=True)
    assert compiled == pytest.approx(eager, rel=1e-5)
    for a, b in zip(eager_model.parameters(), compiled_model.parameters()):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("option", ["compile_optimizer", "compile"])
def test_a_step_that_cannot_compile_falls_back_to_the_eager_one(monkeypatch, caplog, option):
    def broken_compile(fn, **options):
        def fails(*args):
            raise RuntimeError("no C++ compiler found\nlong details")
        return fails

    monkeypatch.setattr(torch, "compile", broken_compile)
    eager_model, eager = fit_small_net(False)
    with caplog.at_level("WARNING", logger="sparseae"):
        fallback_model, fallback = fit_small_net(option == "compile_optimizer", option == "compile")
    assert fallback == eager
    assert all(torch.equal(a, b) for a, b in zip(eager_model.parameters(), fallback_model.parameters()))
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "no C++ compiler found" in warnings[0] and "long details" not in warnings[0]
    assert warnings[0].startswith(f"train.{option}: compiling failed")


def test_compiling_the_optimizer_does_not_change_the_config_hash():
    from sparseae_cli.records import config_hash
    base = {"eta": 300.0, "threads": None, "train": {"lr": 1.0, "epochs": 5}}
    compiled = {**base, "train": {**base["train"], "compile_optimizer": True, "compile": True}}
    other_lr = {**base, "train": {**base["train"], "lr": 0.5}}
    assert config_hash(compiled) == config_hash(base)
    assert config_hash(other_lr) != config_hash(base)
    assert config_hash({**base, "eta": 200.0}) != config_hash(base)
    proposed = {**base, "model": {"name": "asym_ae", "train": {"compile_optimizer": True}}}
    assert config_hash(proposed) == config_hash({**base, "model": {"name": "asym_ae", "train": {}}})


def fit_asym_ae(precision: str, record_dtypes: list | None = None):
    """The asymmetric AE (conv, BN, dense) on random images for a few steps from one init."""
    from sparseae_cli.models import MODELS, DataSpec

    torch.manual_seed(0)
    cfg = OmegaConf.create({"name": "asym_ae", "code_size": 8, "decay_alpha": 0.0, "decay_lambda": 0.0})
    model = MODELS.get("asym_ae")(cfg, DataSpec(784, 10, (1, 28, 28)))
    if record_dtypes is not None:
        layer = model.encoder[7]  # the 6,272 x 1,024 dense layer
        assert isinstance(layer, torch.nn.Linear) and layer.in_features == 6272
        layer.register_forward_hook(lambda m, i, out: record_dtypes.append(out.dtype))
    X = torch.rand(64, 784, generator=torch.Generator().manual_seed(1))
    seen = []

    def penalty(batch, outputs, ctx):
        seen.append(outputs["code"].dtype)
        return 0.1 * outputs["code"].mean()

    train = OmegaConf.create({"optimizer": "adadelta", "lr": 1.0, "weight_decay": 0.0, "precision": precision})
    batches = Batches({"x": X}, 16, torch.Generator().manual_seed(2))
    history = train_epochs(model, batches, train, 3, penalty=penalty)
    assert set(seen) == {torch.float32}  # regularizers always see float32 codes
    return model, history


def test_bf16_runs_the_products_in_bfloat16_and_follows_fp32():
    dtypes_fp32, dtypes_bf16 = [], []
    fp32_model, fp32 = fit_asym_ae("fp32", dtypes_fp32)
    bf16_model, bf16 = fit_asym_ae("bf16", dtypes_bf16)
    assert set(dtypes_fp32) == {torch.float32} and set(dtypes_bf16) == {torch.bfloat16}
    assert fp32[-1] < fp32[0] and bf16[-1] < bf16[0]
    # bfloat16 keeps 8 bits of mantissa (~0.4% a product): the losses agree to about 1%.
    assert bf16 == pytest.approx(fp32, rel=2e-2)
    assert bf16 != fp32  # and they did differ: the products really ran in bfloat16
    for a, b in zip(fp32_model.parameters(), bf16_model.parameters()):
        assert b.dtype == torch.float32  # master weights stay float32
        assert torch.allclose(a, b, atol=5e-2)


def test_bf16_trains_the_stacked_ensemble():
    """The stacked layers' own backward gets bfloat16 gradients; it must still match fp32."""
    from sparseae_cli.training.ensemble import StackedBatches, stack_models

    def fit(precision):
        torch.manual_seed(0)
        members = [torch.nn.Sequential(torch.nn.Linear(12, 5), torch.nn.ReLU(), torch.nn.Linear(5, 12))
                   for _ in range(3)]

        class AE(GradientModel):
            def __init__(self, net):
                super().__init__()
                self.net = net

            def forward(self, batch, ctx=None):
                return {"code": batch["x"], "reconstruction": self.net(batch["x"])}

            def loss(self, batch, outputs, ctx=None):
                return ((batch["x"] - outputs["reconstruction"]) ** 2).mean(-1).mean(-1).sum(), {}

        model = AE(stack_models(members))
        sets = [{"x": torch.rand(40, 12, generator=torch.Generator().manual_seed(i))} for i in range(3)]
        cfg = OmegaConf.create({"optimizer": "adam", "lr": 1e-2, "weight_decay": 0.0, "precision": precision})
        gens = [torch.Generator().manual_seed(10 + i) for i in range(3)]
        return train_epochs(model, StackedBatches(sets, 8, gens), cfg, 3)

    fp32, bf16 = fit("fp32"), fit("bf16")
    assert bf16 == pytest.approx(fp32, rel=2e-2) and bf16[-1] < bf16[0]


def test_precision_hashes_as_absent_at_fp32_only():
    from sparseae_cli.records import config_hash
    before = {"eta": 300.0, "train": {"lr": 1.0, "epochs": 5}}  # a run recorded before the option
    assert config_hash({**before, "train": {**before["train"], "precision": "fp32"}}) == config_hash(before)
    assert config_hash({**before, "train": {**before["train"], "precision": "bf16"}}) != config_hash(before)
