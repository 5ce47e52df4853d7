"""Speed of the part-based AE pieces (issue: one epoch of each model on the 60,000
Fashion-MNIST training images, the SVM protocol and the dilation metric on 10,000 codes).

The epoch throughput is compared with this machine's measured float32 matrix-multiply
rate (a 2048 x 2048 product), from the models' forward + backward FLOP counts.

    python bench/bench_parts.py [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

from sparseae_cli.datasets import DATASETS
from sparseae_cli.metrics import METRICS, EvalInputs
from sparseae_cli.models import MODELS, DataSpec
from sparseae_cli.regularizers import make_penalty
from sparseae_cli.training.constrained import ConstrainedParameters
from sparseae_cli.training.loop import Batches, train_epochs


def matmul_gflops(n: int = 2048, repeats: int = 5, dtype: torch.dtype = torch.float32) -> float:
    """The best of three timings: a single one on a shared host can read well below the rate
    the epochs then reach."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 * repeats / best / 1e9


def forward_flops(model: torch.nn.Module, x: torch.Tensor) -> float:
    """Multiply-adds x 2 of the Linear and Conv2d layers for one batch (hooks count them)."""
    total = 0.0

    def count(module, inputs, output):
        nonlocal total
        if isinstance(module, torch.nn.Linear):
            total += 2 * output.numel() * module.in_features
        elif isinstance(module, torch.nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels
            total += 2 * output.numel() * k

    hooks = [m.register_forward_hook(count) for m in model.modules()]
    with torch.no_grad():
        model({"x": x})
    for h in hooks:
        h.remove()
    return total


def time_epoch(name: str, X: torch.Tensor, peak: float, compile_optimizer: bool,
               precision: str = "fp32") -> torch.nn.Module:
    cfg = OmegaConf.load(Path(__file__).resolve().parents[1] / "conf" / "model" / f"{name}.yaml")
    cfg.train = None
    torch.manual_seed(0)
    model = MODELS.get(name)(cfg, DataSpec(784, 10, (1, 28, 28)))
    train = OmegaConf.create({"optimizer": "adadelta", "lr": 1.0, "weight_decay": 0.0, "batch_size": 128,
                              "compile_optimizer": compile_optimizer, "precision": precision})
    penalty = make_penalty(OmegaConf.create({"name": "kl", "p": 0.05, "beta": 0.001}), model)
    nonneg = ConstrainedParameters(model, "nonneg", 1.0, ["decoder.0.weight"])
    batches = Batches({"x": X}, 128, torch.Generator().manual_seed(0))
    start = time.perf_counter()
    train_epochs(model, batches, train, 1, penalty, after_step=nonneg.project)
    seconds = time.perf_counter() - start
    flops = 3 * forward_flops(model, X[:128]) * len(X) / 128  # backward ~ 2 x forward
    step = "compiled" if compile_optimizer else "eager"
    print(f"  {name:<10} one epoch, {precision}, {step} optimiser step: {seconds:6.1f} s, "
          f"{flops / seconds / 1e9:6.1f} GFLOP/s = {flops / seconds / 1e9 / peak:5.1%} of the measured "
          f"{precision} matmul rate")
    return model


def train_one_epoch(overrides: list[str], X: torch.Tensor, init_from_data: bool = False, warmup: int = 0):
    """One epoch of the model that ``sparseae train OVERRIDES`` builds, on the images ``X`` (MNIST
    shapes), by the real epoch loop with the model's own training settings; optionally initialised
    from X first, and after ``warmup`` untimed steps (first-touch allocations, kernel selection,
    compilation) and one of the epoch's last batch size.
    Returns (model, composed config, seconds)."""
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(Path(__file__).resolve().parents[1] / "conf"), version_base=None):
        cfg = compose("config", overrides=overrides)
    torch.manual_seed(0)
    model = MODELS.get(cfg.model.name)(cfg.model, DataSpec(X.shape[1], 10, (1, 28, 28)))
    if init_from_data:  # e.g. atoms drawn from the images (their labels are not needed)
        model.init_from_data(X.numpy(), np.zeros(len(X), dtype=np.int64), torch.Generator().manual_seed(0))
    train = OmegaConf.create(OmegaConf.to_container(cfg.train, resolve=True))
    if warmup:  # full batches and one of the epoch's last size (a compiled step specialises to both)
        batch = int(cfg.train.batch_size)
        rows = warmup * batch + len(X) % batch
        train_epochs(model, Batches({"x": X[:rows]}, batch, torch.Generator().manual_seed(1)), train, 1)
    start = time.perf_counter()
    train_epochs(model, Batches({"x": X}, int(cfg.train.batch_size), torch.Generator().manual_seed(0)), train, 1)
    return model, cfg, time.perf_counter() - start


def epoch_rate(overrides: list[str], X: torch.Tensor, peak: float, warmup: int = 0):
    """(trained model, seconds, batch size, Linear/Conv2d FLOP rate as a share of the matmul rate
    ``peak``) of one epoch (``train_one_epoch``): forward multiply-adds x 2, x 3 for the backward."""
    model, cfg, seconds = train_one_epoch(overrides, X, warmup=warmup)
    batch = int(cfg.train.batch_size)
    flops = 3 * forward_flops(model, X[:batch]) * len(X) / batch
    return model, seconds, batch, flops / seconds / 1e9 / peak


def print_epoch(label: str, overrides: list[str], X: torch.Tensor, peak: float, warmup: int = 0):
    """Time one epoch and print it beside its share of the matmul rate (``epoch_rate``)."""
    model, seconds, batch, share = epoch_rate(overrides, X, peak, warmup)
    print(f"  {label:<32} batch {batch}: {seconds:6.1f} s an epoch, {share * peak:6.1f} GFLOP/s = "
          f"{share:5.1%} of the measured matmul rate")
    return model


def training_images(name: str, data_dir: str):
    """The image set ``name`` read from ``data_dir`` (no download) and its official training images."""
    data = DATASETS.get(name)(OmegaConf.create({"download": False}), Path(data_dir))
    train_mask = np.ones(len(data.y), bool)
    train_mask[data.test_index] = False
    return data, torch.from_numpy(data.X[train_mask])


def images_and_matmul_rate(name: str, announce: bool = True):
    """A bench's common start: ``--data-dir``, the image set ``name`` with its training images,
    and the machine's float32 matmul rate (GFLOP/s), printed unless ``announce`` is off."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=os.environ.get("SPARSEAE_DATA_DIR", "../shared/data"))
    data, X = training_images(name, parser.parse_args().data_dir)
    peak = matmul_gflops()
    if announce:
        print(f"matmul (2048^3) on {torch.get_num_threads()} threads: float32 {peak:.1f} GFLOP/s")
    return data, X, peak


def main() -> None:
    data, X, peak = images_and_matmul_rate("fashion_mnist", announce=False)
    peak_bf16 = matmul_gflops(dtype=torch.bfloat16)
    print(f"matmul (2048^3) on {torch.get_num_threads()} threads: float32 {peak:.1f} GFLOP/s, "
          f"bfloat16 {peak_bf16:.1f} GFLOP/s")
    print(f"Fashion-MNIST, {len(X)} training images, batch 128, Adadelta, KL + non-negative decoder:")
    shallow = time_epoch("shallow_ae", X, peak, compile_optimizer=False)
    # The asymmetric AE's default (model.train.compile_optimizer) and the eager step; the
    # compiled epoch includes the one-off compilation (10-20 s).
    for compile_optimizer in (True, False):
        time_epoch("asym_ae", X, peak, compile_optimizer)
    # train.precision=bf16: products in bfloat16 (AVX512-BF16 / AMX on CPU, tensor cores on GPU).
    time_epoch("asym_ae", X, peak_bf16, compile_optimizer=True, precision="bf16")

    # Real codes (the shallow AE after its timed epoch): separable toy codes make the SVM
    # look several times faster than it is on a model's codes.
    y = data.y[data.test_index]
    x_test = torch.from_numpy(data.X[data.test_index])
    with torch.no_grad():
        shallow.eval()
        out = shallow({"x": x_test})
    dictionary = shallow.dictionary()
    inputs = EvalInputs(code_train=None, code_test=out["code"].numpy(), y_train=None, y_test=y,
                        x_test=x_test.numpy(), reconstruction_test=out["reconstruction"].numpy(),
                        atoms=dictionary.atoms, decoder_bias=dictionary.bias,
                        decoder_activation=dictionary.activation, image_shape=(1, 28, 28),
                        options=OmegaConf.load(Path(__file__).resolve().parents[1] / "conf" / "eval" /
                                               "default.yaml"))
    for metric in ("dilation", "svm"):
        start = time.perf_counter()
        METRICS.get(metric)(inputs)
        print(f"  {metric} metric on {len(y)} codes: {time.perf_counter() - start:5.1f} s (target: < 60 s)")
    start = time.perf_counter()
    METRICS.get("svm")(replace(inputs, options=OmegaConf.merge(inputs.options, {"svm": {"solver": "liblinear"}})))
    print(f"  svm metric with eval.svm.solver=liblinear (LinearSVC one fit at a time): "
          f"{time.perf_counter() - start:5.1f} s")
    time_sparse_nmf(x_test)


def time_sparse_nmf(x_test: torch.Tensor) -> None:
    """The report's sparse NMF baseline fitted on the 10,000 test images (conf/model/sparse_nmf.yaml)."""
    cfg = OmegaConf.load(Path(__file__).resolve().parents[1] / "conf" / "model" / "sparse_nmf.yaml")
    cfg = OmegaConf.merge(cfg, {"sparseness": 0.6, "seed": 0})
    model = MODELS.get("sparse_nmf")(cfg, DataSpec(x_test.shape[1], 10))
    start = time.perf_counter()
    model.fit(x_test)
    took = time.perf_counter() - start
    print(f"  sparse NMF fit, {cfg.n_iter} iterations on {len(x_test)} images: {took:5.1f} s, "
          f"objective {model.history[-1]:.6e}")


if __name__ == "__main__":
    main()
