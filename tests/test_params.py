"""Declarative parameter constraints: the checker, and every plug-in's declaration against
its own YAML (a key that no config holds would never be checked)."""

from __future__ import annotations

import math

import pytest
from omegaconf import OmegaConf

from sparseae_cli.corruptions import CORRUPTIONS
from sparseae_cli.datasets import DATASETS
from sparseae_cli.errors import UsageError
from sparseae_cli.metrics import METRICS
from sparseae_cli.models import MODELS
from sparseae_cli.params import Interval, Optional, Options, check
from sparseae_cli.regularizers import REGULARIZERS
from sparseae_cli.training.schedules import SCHEDULES

from .conftest import composed


@pytest.mark.parametrize("constraint, good, bad", [
    (Interval(float, 0, None, "neither"), [1e-9, 3, 2.5], [0, -1, math.nan, math.inf, "x", True, None]),
    (Interval(float, 0, 1), [0, 1, 0.5], [-0.01, 1.01]),
    (Interval(int, 2), [2, 10**12], [1, 2.0, "2", False]),
    (Options(("sum", "mean")), ["sum", "mean"], ["avg", None, 1]),
    (Optional(Interval(int, 0)), [None, 0, 7], [-1, 1.5]),
])
def test_constraints_accept_and_refuse(constraint, good, bad):
    assert all(constraint.accepts(v) for v in good)
    assert not any(constraint.accepts(v) for v in bad)


def test_check_names_the_key_the_rule_and_the_value():
    node = OmegaConf.create({"loss": {"reduction": "avg"}, "lr": 0.1})
    with pytest.raises(UsageError, match=r"^model.loss.reduction must be one of sum, mean, got 'avg'$"):
        check(node, {"lr": Interval(float, 0, None, "neither"), "loss.reduction": Options(("sum", "mean"))},
              "model.")
    check(node, {"absent.key": Interval(int, 1)})  # absent keys are the config's business


def test_interval_meaning_is_part_of_the_message():
    with pytest.raises(UsageError, match=r"eta must be > 0 \(the radius\), got -1"):
        check({"eta": -1}, {"eta": Interval(float, 0, None, "neither").means("the radius")})


PLUGINS = [(MODELS, "model"), (DATASETS, "dataset"), (REGULARIZERS, "regularizer")]


@pytest.mark.parametrize("registry, group, name",
                         [(r, g, n) for r, g in PLUGINS for n in r])
def test_every_declared_key_is_in_the_plugins_own_config(registry, group, name):
    root = composed(f"{group}={name}")
    cfg = root[group]
    for key in registry.parameters(name):
        where, path = (root, key[1:]) if key.startswith("/") else (cfg, key)  # "/": a root key
        assert OmegaConf.select(where, path, default="<absent>") != "<absent>", f"{group}={name}: {key}"
    check(cfg, registry.parameters(name), root=root)  # and the shipped defaults pass their own rules


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_keys_are_train_keys(name):
    cfg = composed()
    for key in SCHEDULES.parameters(name):
        assert key in cfg.train, key


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corruption_keys_are_train_keys(name):
    cfg = composed(f"train.corruption={name}")
    for key in CORRUPTIONS.parameters(name):
        assert key in cfg.train, key
    check(cfg.train, CORRUPTIONS.parameters(name))


@pytest.mark.parametrize("name", list(METRICS))
def test_metric_keys_are_eval_keys(name):
    """A metric's settings are keys of an eval config that lists it (optional ones may be
    absent from the others: the metric falls back to its default)."""
    from sparseae_cli.cli import conf_dir
    from sparseae_cli.config_check import config_groups

    listing = [cfg for cfg in (composed(f"eval={e}") for e in config_groups(conf_dir())["eval"])
               if name in cfg.eval.metrics]
    assert listing, f"no eval config lists {name}"
    assert any(all(OmegaConf.select(cfg.eval, key, default="<absent>") != "<absent>"
                   for key in METRICS.parameters(name)) for cfg in listing)


def test_validation_names_no_plugin():
    """validation.py loops over the registries; plug-in names live with the plug-ins."""
    from pathlib import Path

    import sparseae_cli.validation as validation

    text = Path(validation.__file__).read_text()
    for registry in (MODELS, DATASETS, REGULARIZERS, SCHEDULES, METRICS, CORRUPTIONS):
        for name in registry:
            assert f'"{name}"' not in text and f"'{name}'" not in text, name


# Bad values and the fragments their one-line refusal must hold (docs/bad_input.md lists them).
BAD_VALUES = [
        # Checked through the whole command too for a few (test_cli.BAD_COMMANDS).
        (["eta=-5"], ["eta must be > 0"]),
        (["lam=-1"], ["lam must be >= 0"]),
        (["train.epoch=2"], ["unknown config key 'train.epoch'", "did you mean 'train.epochs'?"]),
        (["epochs=2"], ["unknown config key 'epochs'", "did you mean 'train.epochs'?"]),
        (["model.nope=1"], ["unknown config key 'model.nope'", "arch"]),
        (["model=nope"], ["unknown model 'nope'", "supervised_ae"]),
        (["constraint=l9"], ["unknown constraint 'l9'", "l1inf"]),
        (["train.batch_size=0"], ["train.batch_size"]),
        (["train.stop_tol=-0.1"], ["train.stop_tol must be >= 0"]),
        (["train.precision=fp16"], ["train.precision must be one of fp32, bf16", "fp16"]),
        (["eval.svm.solver=sgd"], ["eval.svm.solver must be one of batched, liblinear"]),
        (["model.loss.reduction=avg"], ["model.loss.reduction must be one of sum, mean", "avg"]),
        (["seed=99999999999"], ["seed must be an integer >= 0 and <= 4294967295"]),
        (["model=sparse_nmf", "regularizer=kl"], ["regularizer.name must be one of none", "without gradients"]),
        (["model.arch=resnet"], ["model.arch must be one of netbio, lenet, fair4"]),
        (["model.hidden=0"], ["model.hidden must be an integer >= 1"]),
        (["regularizer=kl", "p=1.5"], ["p must be > 0 and < 1", "1.5"]),
        (["beta=-1"], ["beta must be >= 0"]),
        (["regularizer=l2", "beta=-1"], ["beta must be >= 0"]),
        (["train.schedule=cosine"], ["unknown train.schedule 'cosine'", "double_descent"]),
        (["train.optimizer=rmsprop"], ["unknown train.optimizer 'rmsprop'", "adadelta"]),
        (["model=sparse_nmf", "sparseness=1.2"], ["model.sparseness must be > 0 and < 1"]),
        (["seed=-1"], ["seed must be an integer >= 0"]),
        (["eta=nan"], ["eta must be > 0"]),
        (["eta=inf"], ["eta must be > 0"]),
        (["lam=nan"], ["lam must be >= 0"]),
        (["train.lr=nan"], ["train.lr must be > 0"]),
        (["threads=0"], ["threads must be null or an integer >= 1"]),
        (["threads=-1"], ["threads must be null or an integer >= 1"]),
        (["threads=abc"], ["threads must be null or an integer >= 1", "abc"]),
        (["dataset.max_samples=-5"], ["dataset.max_samples must be null or an integer >= 1"]),
        (["dataset.max_samples=abc"], ["dataset.max_samples must be null or an integer >= 1"]),
        (["dataset=synthetic", "dataset.n_features=0"], ["dataset.n_features must be an integer >= 1"]),
        (["dataset=synthetic", "dataset.n_classes=1"], ["dataset.n_classes must be an integer >= 2"]),
        (["regularizer=none", "beta=-1"], ["beta must be >= 0"]),
        (["model=sklearn_nmf", "regularizer=l1", "beta=0.1"], ["regularizer.name must be one of none"]),
        (["model=mlp_ae", "model.hidden=[]"], ["model.hidden must be a non-empty list, each item an integer"]),
        (["model=mlp_ae", "model.hidden=[32,0]"], ["model.hidden must be a non-empty list"]),
        (["model=conv_ae", "model.loss=l2"], ["model.loss must be one of bce, mse"]),
        (["model=binary_ae", "model.code_noise=-1"], ["model.code_noise must be >= 0"]),
        (["train.corruption=salt"], ["unknown train.corruption 'salt'", "gaussian, masking"]),
        (["train.corruption=masking", "train.noise_factor=1.5"], ["train.noise_factor must be >= 0 and <= 1"]),
        (["train.corruption=gaussian", "train.noise_factor=-0.1"], ["train.noise_factor must be >= 0"]),
        (["model=mlp_ae", "regularizer=contractive", "beta=-1"], ["beta must be >= 0"]),
        (["model=mlp_ae", "eval.retrieval_k=0"], ["eval.retrieval_k must be an integer >= 1"]),
        (["model=group_sparse_ae", "model.threshold=soft"],
         ["model.threshold must be one of group, nonneg, authors"]),
        (["model=group_sparse_ae", "model.init=pca"], ["model.init must be one of data, data_class, random"]),
        (["model=group_sparse_ae", "model.lam=0"], ["model.lam must be > 0"]),
        (["model=ista_ae", "model.layers=0"], ["model.layers must be an integer >= 1"]),
        (["model=ista_ae", "model.step=-0.01"], ["model.step must be > 0"]),
        (["model=group_sparse_ae", "eval.per_class=0"], ["eval.per_class must be an integer >= 1"]),
        (["preprocess.center_images=maybe"], ["preprocess.center_images must be one of True, False"]),
        (["model=sparse_nmf", "constraint=l11"], ["constraint.name must be one of none", "without gradients"]),
        (["model=sklearn_nmf", "constraint=nonneg"], ["constraint.name must be one of none"]),
        (["model=vae", "model.prior=student"], ["model.prior must be one of gaussian, laplace, cauchy"]),
        (["model=vae", "model.kl=exact"], ["model.kl must be one of analytic, mc"]),
        (["model=vae", "model.latent=0"], ["model.latent must be an integer >= 1"]),
        (["model=vae", "model.sigma=0"], ["model.sigma must be > 0"]),
        (["model=vae", "model.prior=cauchy", "model.noise_clamp=0.5"], ["model.noise_clamp must be null or"]),
        (["model=vae", "eval.likelihood_samples=0"], ["eval.likelihood_samples must be an integer >= 1"]),
        (["dataset=cifar10", "dataset.patch=0"], ["dataset.patch must be null or an integer >= 1"]),
        (["dataset=patches_synthetic", "dataset.source=cauchy"],
         ["dataset.source must be one of laplace, gaussian"]),
        (["model=saucie", "model.lambda_b=-0.1"], ["model.lambda_b must be >= 0"]),
        (["model=saucie", "model.hidden=[512,0]"], ["model.hidden must be a non-empty list"]),
        (["model=saucie", "model.min_cluster_size=-1"], ["model.min_cluster_size must be an integer >= 0"]),
        (["model=aanet", "model.archetypes=1"], ["model.archetypes must be an integer >= 2", "two vertices"]),
        (["model=aanet", "model.simplex=hull"], ["model.simplex must be one of penalty, project"]),
        (["model=leiden", "model.resolution=0"], ["model.resolution must be > 0"]),
        (["model=kmeans_pca", "model.seed=-3"], ["model.seed must be null or an integer >= 0"]),
        (["model=kmeans_pca", "regularizer=l1"], ["regularizer.name must be one of none", "without gradients"]),
        (["split.folds=0"], ["split.folds must be an integer >= 1", "1: fit and score every sample"]),
        (["dataset=ohlson", "dataset.batch_shift=-1"], ["dataset.batch_shift must be null or > 0"]),
        (["dataset=fcs", "dataset.cofactor=0"], ["dataset.cofactor must be > 0"]),
        (["dataset=h5ad", "dataset.transform=log"], ["dataset.transform must be one of none, arcsinh"]),
        (["dataset=cytof_synthetic", "dataset.n_populations=1"],
         ["dataset.n_populations must be an integer >= 2"]),
        (["model=saucie", "eval.batch_mixing_k=0"], ["eval.batch_mixing_k must be an integer >= 1"]),
]


@pytest.mark.parametrize("overrides, fragments", BAD_VALUES)
def test_bad_values_are_refused_in_one_line_before_any_work(overrides, fragments, tmp_path):
    """The check `sparseae train` runs before Hydra starts (test_cli runs some through the CLI)."""
    from sparseae_cli.cli import conf_dir
    from sparseae_cli.config_check import check_overrides

    with pytest.raises(UsageError) as refused:
        check_overrides([*overrides, f"hydra.run.dir={tmp_path / 'r'}"], conf_dir())
    message = str(refused.value)
    assert "\n" not in message and all(f in message for f in fragments), message
    assert not (tmp_path / "r").exists()


def test_phase_two_follows_train_epochs_unless_set():
    from .conftest import composed

    assert composed("train.epochs=2").train.epochs_phase2 == 2  # a short run is short
    assert composed().train.epochs_phase2 == 30  # the default run: 30 + 30 as before
    assert composed("train.epochs=2", "train.epochs_phase2=5").train.epochs_phase2 == 5
    assert composed("train=double_descent", "train.epochs=3").train.epochs_phase2 == 3
    # The reference protocol keeps its 30 + 30 whatever phase 1 is given.
    assert composed("experiment=barlaud2021_ohlson", "train.epochs=2").train.epochs_phase2 == 30


def test_runs_recorded_when_phase_two_defaulted_to_30_still_count_where_it_was_unused():
    from omegaconf import OmegaConf

    from sparseae_cli import records

    from .conftest import composed

    config = OmegaConf.to_container(composed("model=vae"), resolve=True)  # plain schedule, 10 epochs
    old = {**config, "train": {**config["train"], "epochs_phase2": 30}}
    assert config["train"]["epochs_phase2"] == 10 and records.same_config(records.config_hash(old), config)
    # Under double descent phase 2 ran 30 epochs: a different run, not the same one.
    dd = OmegaConf.to_container(composed("train.epochs=2"), resolve=True)
    dd_old = {**dd, "train": {**dd["train"], "epochs_phase2": 30}}
    assert not records.same_config(records.config_hash(dd_old), dd)
