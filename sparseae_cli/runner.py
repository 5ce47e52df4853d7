"""One run: load data, split, and for every (seed, fold) train, evaluate and save.

The flow is one-directional: config -> data -> model -> training -> metrics ->
metrics.json. The record is written last, atomically, so an interrupted run never
leaves a file that looks complete.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

from . import preprocess, records, runtime
from .constraints import CONSTRAINTS  # noqa: F401  (registers constraints)
from .corruptions import NO_CORRUPTION, corrupt_array, data_range
from .datasets import DATASETS
from .datasets._patches import to_patches
from .datasets.batch_effect import with_batch_effect
from .datasets.fingerprint import data_fingerprint
from .errors import DataError
from .metrics import METRICS, EvalInputs
from .models import MODELS, DataSpec, FittedModel, GradientModel
from .models.base import jacobians
from .regularizers import make_penalty
from .splits import Split, make_splits
from .stages import stage, steps
from .training.checkpoint import NEVER, Checkpoint, SharedPhases
from .training.constrained import ConstrainedParameters
from .training.context import EVALUATION
from .training.ensemble import StackedBatches, can_stack, stack_models, unstack_into
from .training.loop import Batches, fall_per_epoch
from .training.schedules import SHARED_PHASES, FitResult, fit
from .validation import validate_config

log = logging.getLogger("sparseae")
N_EXAMPLES = 20
CONVERGENCE_WINDOW = 10  # epochs over which the final fall of the loss is averaged
CHECKPOINTS = "checkpoints"  # training states of an unfinished run (train.checkpoint_every)


def short_params(cfg) -> dict:
    """The keys users group and filter by, under their short names."""
    return {
        "dataset": cfg.dataset.name,
        "model": cfg.model.name,
        "arch": cfg.model.get("arch"),
        "constraint": cfg.constraint.name,
        "eta": cfg.eta,
        "lam": cfg.lam,
        "seed": cfg.seed,
        "schedule": cfg.train.schedule,
        "epochs": cfg.train.epochs,
        "tag": cfg.get("tag"),
    }


@torch.no_grad()
def _forward_all(model, X: torch.Tensor, batch: int = 4096) -> dict[str, np.ndarray]:
    model.eval()
    if isinstance(model, FittedModel):
        batch = len(X)  # factorisations encode a whole set at once
    parts: dict[str, list] = {}
    for start in range(0, len(X), batch):
        for key, value in model({"x": X[start : start + batch]}, EVALUATION).items():
            parts.setdefault(key, []).append(value.float().cpu())
    return {k: torch.cat(v).numpy() for k, v in parts.items()}


def _softmax(logits: np.ndarray) -> np.ndarray:
    return torch.softmax(torch.from_numpy(logits), dim=1).numpy()


@dataclass
class Member:
    """One (seed, fold) of a run: its preprocessed data, model and training outcome."""

    split: Split
    X_train: np.ndarray
    X_test: np.ndarray
    model: torch.nn.Module
    constraint: ConstrainedParameters | None = None
    result: FitResult | None = None
    fit_seconds: float = 0.0  # wall time of its training or fit (a stacked ensemble's, shared out)


def prepare(cfg, data, split: Split, spec: DataSpec, device) -> Member:
    X_train, X_test = preprocess.fit_transform(
        data.X[split.train], data.X[split.test], data.kind, cfg.preprocess
    )
    torch.manual_seed(split.seed)  # every fold of a seed starts from the same weights
    model = MODELS.get(cfg.model.name)(cfg.model, spec)
    model.check_inputs(X_train)
    model.init_from_data(X_train, data.y[split.train], torch.Generator().manual_seed(split.seed))
    return Member(split, X_train, X_test, model.to(device))


def _constraint(cfg, model, stacked: bool = False) -> ConstrainedParameters:
    return ConstrainedParameters(model, cfg.constraint.name, cfg.eta, list(cfg.constraint.params),
                                 cfg.constraint.get("groups", "inputs"), stacked=stacked)


def _generator(split: Split) -> torch.Generator:
    return torch.Generator().manual_seed(split.seed * 1000 + split.fold)


def train_members(cfg, data, members: list[Member], device, progress: bool,
                  checkpoint: Checkpoint | None = None) -> None:
    """Train every member: as one stacked ensemble when possible, else one by one.

    Models that are not trained by gradient descent (``FittedModel``, e.g. sparse NMF) are
    fitted on their training part, or on the test part when ``model.fit_on=test``.
    """
    to = lambda a, dtype=torch.float32: torch.as_tensor(a, dtype=dtype, device=device)  # noqa: E731
    if isinstance(members[0].model, FittedModel):  # its config refuses any constraint
        for member in members:
            member.constraint = ConstrainedParameters(member.model, "none", cfg.eta, [])
            fit_on = member.X_test if cfg.model.get("fit_on") == "test" else member.X_train
            started = time.perf_counter()
            with stage(f"fitting {cfg.model.name} on {len(fit_on)} samples"):
                member.model.fit(to(fit_on))
            member.fit_seconds = time.perf_counter() - started
            member.result = FitResult()
        return
    sets = [{"x": to(m.X_train), **{name: to(column, torch.int64)
                                    for name, column in data.columns(m.split.train).items()}}
            for m in members]
    batch = int(cfg.train.batch_size)
    if (cfg.train.get("ensemble", True) and len(members) > 1 and can_stack(members[0].model)
            and StackedBatches.compatible([len(s["x"]) for s in sets], batch)):
        log.info("training %d members as one stacked ensemble", len(members))
        started = time.perf_counter()
        stacked = stack_models([m.model for m in members])
        constraint = _constraint(cfg, stacked, stacked=True)
        batches = StackedBatches(sets, batch, [_generator(m.split) for m in members])
        result = fit(stacked, batches, cfg.train, constraint, progress=progress,
                     penalty=make_penalty(cfg.regularizer, stacked),
                     checkpoint=checkpoint and checkpoint.member("ensemble"))
        unstack_into(stacked, [m.model for m in members])
        for e, member in enumerate(members):
            member.fit_seconds = (time.perf_counter() - started) / len(members)
            member.constraint = _constraint(cfg, member.model)
            member.result = FitResult({k: v[e] for k, v in result.masks.items()}, result.history)
        return
    for i, member in enumerate(members, start=1):
        log.info("split %d/%d (seed %d, fold %d)", i, len(members), member.split.seed,
                 member.split.fold)
        member.constraint = _constraint(cfg, member.model)
        batches = Batches(sets[i - 1], batch, _generator(member.split))
        started = time.perf_counter()
        member.result = fit(member.model, batches, cfg.train, member.constraint, progress=progress,
                            penalty=make_penalty(cfg.regularizer, member.model),
                            checkpoint=checkpoint and checkpoint.member(_member_name(member)))
        member.fit_seconds = time.perf_counter() - started


def threads_to_train(model, spec: DataSpec, batch_size: int, members: int = 1) -> int:
    """``threads=null``: one CPU thread to train a model whose step is too small to share
    (runtime.is_small_step), else the threads already set (all cores, or a parallel sweep's share).
    ``members``: how many copies train as one stacked ensemble (each step is that many times larger)."""
    threads = torch.get_num_threads()
    if not isinstance(model, GradientModel) or threads == 1:
        return threads
    parameters = members * sum(p.numel() for p in model.parameters())
    if not runtime.is_small_step(0, parameters):  # counting FLOPs first imports torch._dynamo: 2 s
        return threads
    flops = members * runtime.forward_flops(model.eval(), {"x": torch.zeros(batch_size, spec.n_features)},
                                            EVALUATION)
    if not runtime.is_small_step(flops, parameters):
        return threads
    log.info("training on 1 thread: a small model (%.1f MFLOP a batch, %d weights), which more threads "
             "only slow down; threads=N overrides", flops / 1e6, parameters)
    return 1


@torch.no_grad()
def check_outputs(cfg, model, spec: DataSpec) -> None:
    """The penalty applies to this model's outputs (``regularizer.on`` names one of them):
    checked once on two zero rows, before any training."""
    penalty = make_penalty(cfg.regularizer, model)
    if isinstance(model, GradientModel) and penalty is not None:
        batch = {"x": torch.zeros(2, spec.n_features)}
        with torch.enable_grad():  # a penalty on the encoder's Jacobian differentiates
            penalty(batch, model.eval()(batch, EVALUATION), EVALUATION)


def _corrupted_test(cfg, member: Member) -> np.ndarray | None:
    """The test set corrupted as training corrupted its inputs (seeded by the split's seed:
    every model of a comparison denoises the same images); None without a corruption."""
    name = cfg.train.get("corruption", NO_CORRUPTION)
    if name == NO_CORRUPTION:
        return None
    return corrupt_array(member.X_test, name, float(cfg.train.noise_factor), member.split.seed,
                         *data_range(member.X_train))


def _jacobians_of(model, device):
    """x (n, d) -> d code / d x (n, k, d), exact (models.base.jacobians), in chunks."""
    def compute(x: np.ndarray) -> np.ndarray:
        model.eval()
        parts = [jacobians(model.encode, torch.as_tensor(chunk, dtype=torch.float32, device=device)).detach().cpu()
                 for chunk in np.array_split(x, max(1, len(x) // 64))]
        return torch.cat(parts).numpy()
    return compute


def _log_weights_of(model, device, rows_per_chunk: int = 20000):
    """x (n, d), K, seed -> the model's importance weights (models.base.log_weights) as arrays,
    computed in chunks of about ``rows_per_chunk`` (rows x K); None for a model without them."""
    @torch.no_grad()
    def compute(x: np.ndarray, samples: int, seed: int) -> dict[str, np.ndarray] | None:
        model.eval()
        generator = torch.Generator().manual_seed(seed)
        chunk = max(1, rows_per_chunk // samples)
        parts: dict[str, list] = {}
        for start in range(0, len(x), chunk):
            terms = model.log_weights(torch.as_tensor(x[start:start + chunk], dtype=torch.float32,
                                                      device=device), samples, generator)
            if terms is None:
                return None
            for key, value in terms.items():
                parts.setdefault(key, []).append(value.double().cpu().numpy())
        return {key: np.concatenate(values, axis=-1) for key, values in parts.items()}
    return compute


def _decoder_of(model, device):
    """codes (n, k) -> the model's decoded means (n, d), as arrays."""
    @torch.no_grad()
    def decode(codes: np.ndarray) -> np.ndarray:
        model.eval()
        return model.decode(torch.as_tensor(codes, dtype=torch.float32, device=device)).float().cpu().numpy()
    return decode


def _member_name(member: Member) -> str:
    return f"seed{member.split.seed}_fold{member.split.fold}"


def _input_layer(model) -> str | None:
    """The model's first weight: its columns are the input features (a constrained decoder's are not)."""
    return next((name for name, p in model.named_parameters() if p.ndim >= 2), None)


def evaluate_and_save(cfg, data, member: Member, device, out_dir: Path, progress: bool = False) -> dict:
    split, model = member.split, member.model
    to = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731
    with stage(f"encoding {len(member.X_test)} test samples"):
        out_test = _forward_all(model, to(member.X_test))
    out_train = {}
    if cfg.eval.get("train_codes", True):
        with stage(f"encoding {len(member.X_train)} training samples"):
            out_train = _forward_all(model, to(member.X_train))
    noisy_test = _corrupted_test(cfg, member)
    params = member.constraint.params
    input_layer = _input_layer(model)
    dictionary = model.dictionary()
    atoms, bias, activation = ((dictionary.atoms, dictionary.bias, dictionary.activation)
                               if dictionary is not None else (None, None, None))
    inputs = EvalInputs(
        code_train=out_train.get("code"), code_test=out_test["code"],
        y_train=data.y[split.train], y_test=data.y[split.test],
        proba_test=_softmax(out_test["logits"]) if "logits" in out_test else None,
        x_test=member.X_test, reconstruction_test=out_test.get("reconstruction"),
        weights={n: p.detach().cpu().numpy() for n, p in params.items()},
        feature_names=data.feature_names,
        first_layer=input_layer if input_layer in params else None,
        atoms=atoms, decoder_bias=bias, decoder_activation=activation, image_shape=data.image_shape,
        x_train=member.X_train, reconstruction_train=out_train.get("reconstruction"),
        x_test_noisy=noisy_test,
        reconstruction_test_noisy=(_forward_all(model, to(noisy_test)).get("reconstruction")
                                   if noisy_test is not None else None),
        jacobians=_jacobians_of(model, device) if isinstance(model, GradientModel) else None,
        code_groups=model.code_groups(), log_weights=_log_weights_of(model, device),
        factors_test=data.factors[split.test] if data.factors is not None else None,
        decode=_decoder_of(model, device),
        clusters_test=model.clusters(to(member.X_test)),
        groups_test=data.groups[split.test] if data.groups is not None else None,
        archetypes=model.archetypes(), seed=split.seed, options=cfg.eval,
    )
    metrics: dict = {"seed": split.seed, "fold": split.fold}
    for name in steps(list(cfg.eval.metrics), f"metrics of {_member_name(member)}", progress):
        metrics.update(METRICS.get(name)(inputs))
    with stage("writing weights, codes and examples"):
        _save_member(out_dir, member, inputs, dictionary, out_test, noisy_test)
    metrics.update(budget_used(member.result.history))
    metrics["fit_time_s"] = member.fit_seconds
    metrics["loss_history"] = member.result.history
    return metrics


def _save_member(out_dir: Path, member: Member, inputs: EvalInputs, dictionary, out_test: dict,
                 noisy_test: np.ndarray | None) -> None:
    """A member's weights, masks, codes, dictionary and a few examples, each written atomically."""
    split, model = member.split, member.model
    tag = _member_name(member)
    save_tensors(out_dir / f"weights_{tag}.pt", model.state_dict())
    save_tensors(out_dir / f"masks_{tag}.pt", member.result.masks)
    save_arrays(out_dir / f"codes_{tag}.npz",
                code_train=inputs.code_train if inputs.code_train is not None else np.zeros((0, 0)),
                code_test=inputs.code_test, y_train=inputs.y_train, y_test=inputs.y_test,
                index_train=split.train, index_test=split.test,
                **({"code_groups": inputs.code_groups} if inputs.code_groups is not None else {}),
                **({"factors_test": inputs.factors_test} if inputs.factors_test is not None else {}),
                **{name: values for name, values in (("clusters_test", inputs.clusters_test),
                                                     ("groups_test", inputs.groups_test)) if values is not None})
    if inputs.archetypes is not None:
        save_arrays(out_dir / f"archetypes_{tag}.npz", archetypes=inputs.archetypes,
                    feature_names=np.array(inputs.feature_names, dtype=str))
    if dictionary is not None:
        save_arrays(out_dir / f"dictionary_{tag}.npz", atoms=dictionary.atoms,
                    bias=dictionary.bias if dictionary.bias is not None else np.zeros(0),
                    activation=np.array(dictionary.activation))
    if inputs.image_shape is not None and "reconstruction" in out_test:
        # A few test images and their reconstructions, for figures that must not retrain.
        noisy = ({"noisy": noisy_test[:N_EXAMPLES], "denoised": inputs.reconstruction_test_noisy[:N_EXAMPLES]}
                 if noisy_test is not None else {})
        save_arrays(out_dir / f"examples_{tag}.npz", x=member.X_test[:N_EXAMPLES],
                    reconstruction=out_test["reconstruction"][:N_EXAMPLES],
                    code=out_test["code"][:N_EXAMPLES], y=inputs.y_test[:N_EXAMPLES], **noisy)


def save_tensors(path: Path, tensors: dict) -> None:
    """A state dict (on the CPU), written atomically (records.write_atomic)."""
    records.write_atomic(path, lambda tmp: torch.save({k: v.cpu() for k, v in tensors.items()}, tmp))


def save_arrays(path: Path, **arrays) -> None:
    """Compressed numpy arrays, written atomically (records.write_atomic)."""
    records.write_atomic(path, lambda tmp: np.savez_compressed(tmp, **arrays))


def budget_used(history: dict[str, list[float]]) -> dict:
    """Epochs trained (all phases) and how fast the loss still fell at the end: did it converge?"""
    phases = [losses for losses in history.values() if losses]
    if not phases:
        return {}
    used = {"epochs_trained": sum(map(len, phases))}
    fall = fall_per_epoch(phases[-1], CONVERGENCE_WINDOW)
    if math.isfinite(fall):  # one epoch says nothing (and NaN is not JSON)
        used["loss_fall_per_epoch"] = fall
    return used


def summarise(folds: list[dict]) -> dict:
    """mean, std (ddof=1 when n > 1) and n of every numeric metric over folds and seeds."""
    summary = {}
    keys = [k for k, v in folds[0].items() if isinstance(v, (int, float)) and k not in ("seed", "fold")]
    for key in keys:
        values = np.array([f[key] for f in folds if f.get(key) is not None], dtype=float)
        values = values[np.isfinite(values)]
        if len(values):
            std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
            summary[key] = {"mean": float(values.mean()), "std": std, "n": int(len(values))}
    return summary


def load_data(cfg):
    """The dataset ``cfg`` names, from its data directory (before subsetting)."""
    return DATASETS.get(cfg.dataset.name)(cfg.dataset, runtime.resolve_data_dir(cfg.data_dir))


def folder_state(cfg, out_dir: Path) -> tuple[dict | None, str | None]:
    """(the finished record of this very config on this very data in ``out_dir``, or None; why
    ``out_dir`` must not be trained into, or None). A folder holding a finished run of another
    config or of other data is refused: a finished run is never overwritten. A record from before
    data fingerprints is trusted on its config alone."""
    record = records.read_record(out_dir / records.METRICS_FILE)
    if not record:
        return None, None
    if not records.same_config(record.get("config_hash"), OmegaConf.to_container(cfg, resolve=True)):
        what = "another config"
    elif record.get("data_fingerprint") in (None, data_fingerprint(load_data(cfg).source)):
        return record, None
    else:
        what = "this config on other data (its files changed since)"
    return None, (f"{out_dir} holds a finished run of {what}; it is never overwritten: move that "
                  "folder, or give this run its own hydra.run.dir (a sweep its own hydra.sweep.dir)")


def shared_phases(cfg, resolved: dict, fingerprint, shared_dir: Path | None) -> SharedPhases | None:
    """The phases of this run's schedule that the jobs of its sweep share (``train.share_phase1``,
    ``train.share_phase2``), filed in ``shared_dir`` under the hash of what they depend on and the
    data's fingerprint."""
    schedule = cfg.train.schedule
    if shared_dir is None or schedule not in SHARED_PHASES:
        return None
    phases, inputs = SHARED_PHASES.get(schedule)(resolved)
    if not phases:
        return None
    # config_hash: the inputs' identity as a run's, less what changes no computation
    return SharedPhases(shared_dir, records.digest({"inputs": records.config_hash(inputs), "data": fingerprint}),
                        phases)


def run(cfg, out_dir: Path, progress: bool = False, checkpoint: Checkpoint | None = None,
        note: dict | None = None, shared_dir: Path | None = None) -> dict:
    """Train and evaluate ``cfg`` into ``out_dir``; metrics.json is written last.

    ``checkpoint`` replaces the run's own (``train.checkpoint_every``) and ``note`` is added to
    the record: both for evaluating another run's checkpoints (see ``checkpoint_eval``).
    ``shared_dir``: where the jobs of a sweep file the training phases they share.
    """
    started = time.perf_counter()
    validate_config(cfg)
    device = runtime.pick_device(cfg.device)
    runtime.set_threads(cfg.get("threads"))
    with stage("loading data"):
        data = load_data(cfg)
        fingerprint = data_fingerprint(data.source)
    data = data.subset(cfg.dataset.get("max_samples"), seed=cfg.seed)
    if cfg.dataset.get("patch") is not None:
        data = to_patches(data, int(cfg.dataset.patch), int(cfg.dataset.get("patches_per_image", 1)), cfg.seed)
    if cfg.dataset.get("batch_shift") is not None:
        data = with_batch_effect(data, float(cfg.dataset.batch_shift), cfg.seed)
    present = len(np.unique(data.y))
    if present < 2 and data.labelled:
        raise DataError(f"{data.name}: its samples hold {present} class; every metric and split here "
                        "compares classes, so supply data with at least two (or a larger dataset.max_samples)")
    spec = DataSpec(data.n_features, data.n_classes, data.image_shape)
    seeds = [cfg.seed + r for r in range(cfg.split.repeats)]
    splits = make_splits(data, cfg.split.folds, seeds)
    # Build once before training so that impossible shapes fail before any work.
    probe = MODELS.get(cfg.model.name)(cfg.model, spec)
    check_outputs(cfg, probe, spec)
    threads = torch.get_num_threads()
    stacked = len(splits) if cfg.train.get("ensemble", True) and len(splits) > 1 and can_stack(probe) else 1
    training_threads = threads if cfg.get("threads") is not None or device.type != "cpu" else \
        threads_to_train(probe, spec, int(cfg.train.batch_size), stacked)

    resolved = OmegaConf.to_container(cfg, resolve=True)
    OmegaConf.save(OmegaConf.create(resolved), out_dir / records.CONFIG_FILE)
    members = [prepare(cfg, data, split, spec, device) for split in splits]
    every = int(cfg.train.get("checkpoint_every", 0))
    shared = shared_phases(cfg, resolved, fingerprint, shared_dir) if checkpoint is None else None
    if checkpoint is None and (every or shared):
        checkpoint = Checkpoint(out_dir / CHECKPOINTS, every or NEVER, records.config_hash(resolved),
                                own=bool(every), shared=shared)
    torch.set_num_threads(training_threads)
    try:
        train_members(cfg, data, members, device, progress, checkpoint)
    finally:
        torch.set_num_threads(threads)  # evaluation's large products use every thread
    folds = [evaluate_and_save(cfg, data, m, device, out_dir, progress) for m in members]

    record = {
        "status": "complete",
        "params": short_params(cfg),
        "config": resolved,
        "config_hash": records.config_hash(resolved),
        "dataset": {"name": data.name, "n_samples": len(data.y), "n_features": data.n_features,
                    "n_classes": data.n_classes, "class_names": data.class_names,
                    "image_shape": list(data.image_shape) if data.image_shape else None,
                    "source": data.source},
        "data_fingerprint": fingerprint,
        **({"shared_phases": {"key": shared.key, "reused": sorted(set(shared.reused))}} if shared else {}),
        "folds": folds,
        "summary": summarise(folds),
        "versions": runtime.versions(),
        "device": str(device),
        "wall_time_s": time.perf_counter() - started,
        **(note or {}),
    }
    records.write_json_atomic(out_dir / records.METRICS_FILE, record)
    shutil.rmtree(out_dir / CHECKPOINTS, ignore_errors=True)  # only once the results are safe
    return record
