"""The automatic thread choice: one thread to train a model whose step is too small to share."""

import pytest
import torch

from sparseae_cli import runtime
from sparseae_cli.models import MODELS, DataSpec
from sparseae_cli.runner import threads_to_train

from .conftest import composed


class _Linear(torch.nn.Module):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(n_in, n_out)

    def forward(self, batch, ctx):
        return {"code": self.layer(batch["x"])}


def test_forward_flops_of_a_linear_layer_is_2_b_in_out():
    assert runtime.forward_flops(_Linear(30, 7), {"x": torch.zeros(5, 30)}, None) == 2 * 5 * 30 * 7


def test_a_step_is_small_below_both_bounds():
    assert runtime.is_small_step(1e6, 10_000)
    assert not runtime.is_small_step(40e6, 10_000)  # 784-100-784 at batch 128: two threads pay
    assert not runtime.is_small_step(9e6, 565_000)  # the Ohlson layer pair: Adam's step pays


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _model(*overrides: str, n_features: int):
    cfg = composed(*overrides)
    spec = DataSpec(n_features, 10, None)
    return MODELS.get(cfg.model.name)(cfg.model, spec), spec, int(cfg.train.batch_size)


def test_the_default_digits_model_trains_on_one_thread(two_threads):
    assert threads_to_train(*_model(n_features=64)) == 1


def test_a_vae_on_mnist_keeps_every_thread(two_threads):
    assert threads_to_train(*_model("model=vae", n_features=784)) == 2


def test_a_stacked_ensemble_counts_every_member(two_threads):
    # one member of the Ohlson protocol's netbio model is small; its 12 stacked members are not
    model, spec, batch = _model("experiment=barlaud2021_ohlson", n_features=532)
    assert threads_to_train(model, spec, batch, members=1) == 1
    assert threads_to_train(model, spec, batch, members=12) == 2
