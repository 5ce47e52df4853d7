"""The model protocol, checked on every registered model (the tests grow with MODELS).

For each name: it builds on a tiny image spec from its own YAML; ``forward`` returns a
``code``; a gradient model's loss is finite and backpropagates, ``after_step`` runs,
evaluation is deterministic, a stacked ensemble equals its members trained one by one
(when stackable) and a killed checkpointed run resumes bit for bit; a fitted model fits and
encodes. A toy stochastic model (input noise from the training context) shows that noise
keeps both promises.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from sparseae_cli.models import MODELS, DataSpec, Dictionary, FittedModel, GradientModel
from sparseae_cli.training.checkpoint import Checkpoint
from sparseae_cli.training.ensemble import StackedBatches, can_stack, stack_models, unstack_into
from sparseae_cli.training.loop import Batches, train_epochs

from .conftest import composed

SPEC = DataSpec(n_features=64, n_classes=3, image_shape=(1, 8, 8))
TRAIN = OmegaConf.create({"optimizer": "adam", "lr": 1e-3, "weight_decay": 0.0})


def model_cfg(name: str):
    """The model's own YAML, its code shrunk to the tiny spec."""
    cfg = composed(f"model={name}").model
    if "code_size" in cfg:
        cfg.code_size = 6
    if "lam" in cfg:  # a threshold fit for MNIST silences every code of these small toy inputs
        cfg.lam = 0.1
    return cfg


def build(name: str, seed: int = 0):
    torch.manual_seed(seed)
    return MODELS.get(name)(model_cfg(name), SPEC)


def toy_columns(n: int, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {"x": torch.rand(n, SPEC.n_features, generator=g), "y": torch.arange(n) % SPEC.n_classes}


def gradient_models() -> list[str]:
    return [n for n in MODELS if isinstance(build(n), GradientModel)]


def fitted_models() -> list[str]:
    return [n for n in MODELS if isinstance(build(n), FittedModel)]


def test_every_model_implements_one_of_the_two_bases():
    assert set(gradient_models()) | set(fitted_models()) == set(MODELS)
    assert gradient_models() and fitted_models()


@pytest.mark.parametrize("name", gradient_models())
def test_gradient_model_forward_loss_backward_and_after_step(name):
    model = build(name)
    batch = toy_columns(8)
    outputs = model(batch, None)
    assert outputs["code"].shape[0] == 8
    total, parts = model.loss(batch, outputs, None)
    assert total.ndim == 0 and torch.isfinite(total)
    assert all(torch.isfinite(v) for v in parts.values())
    total.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    model.after_step()
    assert isinstance(model.dictionary(), (Dictionary, type(None)))


@pytest.mark.parametrize("name", list(MODELS))
def test_code_groups_name_one_group_per_code_unit_and_data_init_keeps_shapes(name):
    model = build(name)
    columns = toy_columns(40)
    model.init_from_data(columns["x"].numpy(), columns["y"].numpy(), torch.Generator().manual_seed(0))
    if isinstance(model, FittedModel):
        model.fit(columns["x"])
    with torch.no_grad():
        code = model.eval()(toy_columns(8, seed=5))["code"]
    groups = model.code_groups()
    assert groups is None or (groups.ndim == 1 and len(groups) == code.shape[-1])


@pytest.mark.parametrize("name", gradient_models())
def test_evaluation_is_deterministic(name):
    model = build(name)
    train_epochs(model, Batches(toy_columns(32), 8, torch.Generator().manual_seed(1)), TRAIN, 1)
    model.eval()
    with torch.no_grad():
        first, second = model(toy_columns(8, seed=5)), model(toy_columns(8, seed=5))
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize("name", fitted_models())
def test_fitted_model_fits_encodes_and_decodes(name):
    model = build(name)
    X = toy_columns(40)["x"]
    model.fit(X)
    outputs = model({"x": X})
    assert outputs["code"].shape[0] == 40
    assert outputs["reconstruction"].shape == X.shape
    dictionary = model.dictionary()
    assert dictionary is None or dictionary.atoms.shape == (outputs["code"].shape[1], SPEC.n_features)


def fitted_or_trained(name: str, columns: dict):
    model = build(name)
    if isinstance(model, FittedModel):
        model.fit(columns["x"])
    else:
        train_epochs(model, Batches(columns, 8, torch.Generator().manual_seed(1)), TRAIN, 1)
    return model.eval()


@pytest.mark.parametrize("name", list(MODELS))
def test_clusters_are_one_integer_per_row_and_archetypes_decode_every_code_unit(name):
    columns = toy_columns(40)
    model = fitted_or_trained(name, columns)
    clusters = model.clusters(columns["x"])
    if clusters is not None:
        assert clusters.shape == (40,) and clusters.dtype == np.int64 and clusters.min() >= -1
        assert np.array_equal(clusters, model.clusters(columns["x"]))  # a read-out, not a draw
    archetypes = model.archetypes()
    if archetypes is not None:
        with torch.no_grad():
            code = model({"x": columns["x"]})["code"]
        assert archetypes.shape == (code.shape[1], SPEC.n_features)
        # archetype j is the decoding of the pure mixture e_j
        with torch.no_grad():
            pure = model.decode(torch.eye(code.shape[1]))
        np.testing.assert_allclose(archetypes, pure.numpy(), rtol=1e-4, atol=1e-5)


def assert_same_parameters(a: torch.nn.Module, b: torch.nn.Module, exact: bool) -> None:
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        if exact:
            assert torch.equal(p, q), name
        else:
            torch.testing.assert_close(q, p, atol=2e-5, rtol=1e-4, msg=name)


def stacked_equals_separate(make, sizes=(21, 19, 24), batch=8) -> None:
    """Members trained alone, then as one stacked ensemble from the same inits and generators."""
    sets = [toy_columns(n, seed=10 + e) for e, n in enumerate(sizes)]
    alone = []
    for e, columns in enumerate(sets):
        model = make(e)
        train_epochs(model, Batches(columns, batch, torch.Generator().manual_seed(e)), TRAIN, 3)
        alone.append(model)
    members = [make(e) for e in range(len(sets))]
    stacked = stack_models(members)
    gens = [torch.Generator().manual_seed(e) for e in range(len(sets))]
    train_epochs(stacked, StackedBatches(sets, batch, gens), TRAIN, 3)
    unstack_into(stacked, members)
    for model, member in zip(alone, members):
        assert_same_parameters(model, member, exact=False)


@pytest.mark.parametrize("name", gradient_models())
def test_stacked_equals_separate_when_stackable(name):
    if not can_stack(build(name)):
        pytest.skip(f"{name} is not stacked (stackable=False or layers the ensemble cannot stack)")
    stacked_equals_separate(lambda seed: build(name, seed))


class Killed(Exception):
    pass


def resumes_bit_for_bit(make, tmp_path, epochs=4, kill_at_step=9) -> None:
    columns = toy_columns(40)
    reference = make()
    history = train_epochs(reference, Batches(columns, 8, torch.Generator().manual_seed(3)), TRAIN, epochs)
    steps = {"n": 0}

    def kill(batch, outputs, ctx):
        steps["n"] += 1
        if steps["n"] > kill_at_step:
            raise Killed
        return None

    checkpoint = Checkpoint(tmp_path / "ckpt", every=1, config_hash="h")
    with pytest.raises(Killed):
        train_epochs(make(), Batches(columns, 8, torch.Generator().manual_seed(3)), TRAIN, epochs,
                     penalty=kill, checkpoint=checkpoint)
    resumed = make()
    again = train_epochs(resumed, Batches(columns, 8, torch.Generator().manual_seed(99)), TRAIN, epochs,
                         checkpoint=checkpoint)
    assert again == history
    assert_same_parameters(reference, resumed, exact=True)


@pytest.mark.parametrize("name", gradient_models())
def test_killed_checkpointed_run_resumes_bit_for_bit(name, tmp_path):
    resumes_bit_for_bit(lambda: build(name), tmp_path)


class NoisyAE(GradientModel):
    """A toy denoising AE: Gaussian input noise drawn from the training context."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.encoder = torch.nn.Sequential(torch.nn.Linear(SPEC.n_features, 6), torch.nn.Sigmoid())
        self.decoder = torch.nn.Linear(6, SPEC.n_features)
        self.noise_seen: list[torch.Tensor] = []

    def forward(self, batch, ctx=None):
        x = batch["x"]
        if self.training:
            noise = ctx.normal_like(x)
            self.noise_seen.append(noise)
            x = x + 0.3 * noise
        code = self.encoder(x)
        return {"code": code, "reconstruction": self.decoder(code)}

    def loss(self, batch, outputs, ctx=None):
        from sparseae_cli.models.base import batch_mean

        per_row = ((outputs["reconstruction"] - batch["x"]) ** 2).mean(-1)
        return batch_mean(per_row, batch), {}


def test_a_stochastic_model_stacked_equals_its_members_trained_alone():
    stacked_equals_separate(NoisyAE)


def test_a_stochastic_model_resumes_bit_for_bit(tmp_path):
    resumes_bit_for_bit(lambda: NoisyAE(0), tmp_path)


def test_noise_is_fresh_each_step_and_zero_on_padding():
    model = NoisyAE(0)
    train_epochs(model, Batches(toy_columns(16), 8, torch.Generator().manual_seed(0)), TRAIN, 1)
    first, second = model.noise_seen
    assert not torch.equal(first, second)
    sets = [toy_columns(8), toy_columns(5)]
    stacked = stack_models([NoisyAE(0), NoisyAE(1)])
    stacked.noise_seen = []
    gens = [torch.Generator().manual_seed(e) for e in range(2)]
    train_epochs(stacked, StackedBatches(sets, 8, gens), TRAIN, 1)
    (noise,) = stacked.noise_seen
    assert noise.shape == (2, 8, SPEC.n_features)
    assert torch.all(noise[1, 5:] == 0) and torch.all(noise[1, :5] != 0)


def test_the_context_counts_epochs_and_steps():
    seen = []
    batches = Batches(toy_columns(20), 8, torch.Generator().manual_seed(0))
    for epoch in range(2):
        seen += [(ctx.epoch, ctx.step) for _, ctx in batches.epoch(epoch)]
    assert seen == [(0, 0), (0, 1), (0, 2), (1, 3), (1, 4), (1, 5)]


def test_evaluation_context_refuses_to_draw():
    from sparseae_cli.training.context import EVALUATION

    with pytest.raises(RuntimeError, match="no random stream"):
        EVALUATION.normal_like(torch.zeros(2))


def test_a_model_can_opt_out_of_stacking():
    class Unstackable(NoisyAE):
        stackable = False

    assert can_stack(NoisyAE(0)) and not can_stack(Unstackable(0))


def test_torch_func_jacobians_through_a_stacked_model():
    """jacrev and vmap go through the stacked layers' custom autograd Function."""
    members = [NoisyAE(seed) for seed in range(2)]
    stacked = stack_models(members).eval()
    x = torch.rand(2, 3, SPEC.n_features, dtype=torch.float32)

    def codes(inputs):
        return stacked({"x": inputs})["code"]

    jacobian = torch.func.jacrev(codes)(x)  # (2, 3, 6, 2, 3, 64)
    for e, member in enumerate(members):
        member.eval()
        for row in range(3):
            alone = torch.func.jacrev(lambda v, m=member: m({"x": v})["code"])(x[e, row])
            torch.testing.assert_close(jacobian[e, row, :, e, row], alone)
    several = torch.rand(4, *x.shape)  # vmap over a batch of stacked batches
    torch.testing.assert_close(torch.func.vmap(codes)(several), torch.stack([codes(v) for v in several]))


def test_after_step_runs_after_every_optimiser_step_and_before_the_projection():
    """A model hook that sets its decoder negative, then the schedule's non-negativity
    projection: the projection must have the last word, on every step."""
    from sparseae_cli.training.constrained import ConstrainedParameters
    from sparseae_cli.training.schedules import fit

    class Negating(NoisyAE):
        steps = 0

        def after_step(self):
            Negating.steps += 1
            with torch.no_grad():
                self.decoder.weight.fill_(-1.0)

    model = Negating(0)
    nonneg = ConstrainedParameters(model, "nonneg", 1.0, ["decoder.weight"])
    cfg = OmegaConf.create({**TRAIN, "schedule": "projected_gradient", "epochs": 2})
    fit(model, Batches(toy_columns(24), 8, torch.Generator().manual_seed(0)), cfg, nonneg)
    assert Negating.steps == 2 * 3
    assert torch.all(model.decoder.weight == 0)
