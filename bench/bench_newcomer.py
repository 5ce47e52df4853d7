"""A newcomer's first commands, timed as a user runs them (issue: a newcomer's first hour).

- ``sparseae --help`` and ``--version``: seconds.
- The default digits run with the automatic thread choice (one thread for a small model's
  training) and with ``threads=2``, on an idle machine and with another process spinning on
  one core, as on a shared machine.
- A training step of small and larger AEs on 1 and 2 threads: where a second thread pays
  (the rule in sparseae_cli/runtime.py, ``is_small_step``).
- The exact silhouette of 70,000 codes of 100 dimensions (10 classes) in blocks, against
  scikit-learn's ``silhouette_score`` on 10,000 of them (its cost grows with the square).
- With ``--data-dir``: the README's sparse NMF example and a two-epoch shallow part-based run
  on Fashion-MNIST, end to end.

    python bench/bench_newcomer.py [--data-dir DIR] [--skip-runs]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import silhouette_score
from torch.utils.flop_counter import FlopCounterMode

from sparseae_cli.metrics.silhouette import exact_silhouette

SPARSEAE = [sys.executable, "-c", "from sparseae_cli.cli import main; main()"]
STEP_SHAPES = [(64, 32, 8), (784, 32, 32), (784, 100, 32), (784, 100, 128), (2944, 96, 8), (784, 400, 128)]


def timed(*args: str, env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run([*SPARSEAE, *args], check=True, capture_output=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - started


@contextmanager
def busy_core():
    """Another process spinning on one core for the duration."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()


def step_seconds(d: int, h: int, batch: int, threads: int, steps: int = 200) -> float:
    torch.set_num_threads(threads)
    model = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.ReLU(), torch.nn.Linear(h, d))
    optimizer, x = torch.optim.Adam(model.parameters()), torch.randn(batch, d)

    def step():
        optimizer.zero_grad()
        ((model(x) - x) ** 2).mean().backward()
        optimizer.step()

    for _ in range(10):
        step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=os.environ.get("SPARSEAE_DATA_DIR"))
    parser.add_argument("--skip-runs", action="store_true", help="only --help and the step table")
    opts = parser.parse_args()
    print(f"sparseae --help: {timed('--help'):.2f} s, --version: {timed('--version'):.2f} s")

    print("one training step (Adam, MSE) of a d-h-d AE, 1 vs 2 threads:")
    for d, h, batch in STEP_SHAPES:
        model = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.ReLU(), torch.nn.Linear(h, d))
        with FlopCounterMode(display=False) as counter:
            model(torch.randn(batch, d))
        one, two = step_seconds(d, h, batch, 1), step_seconds(d, h, batch, 2)
        print(f"  {d}-{h}-{d} batch {batch:3d} ({counter.get_total_flops() / 1e6:6.1f} MFLOP forward): "
              f"1 thread {one * 1e3:6.2f} ms, 2 threads {two * 1e3:6.2f} ms ({one / two:.2f}x)")
    torch.set_num_threads(os.cpu_count() or 1)
    rng = np.random.default_rng(0)
    codes, labels = rng.normal(size=(70_000, 100)).astype(np.float32), rng.integers(0, 10, 70_000)
    started = time.perf_counter()
    exact_silhouette(codes, labels)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    silhouette_score(codes[:10_000], labels[:10_000])
    theirs = time.perf_counter() - started
    print(f"silhouette, exact: 70,000 codes {ours:.1f} s; scikit-learn on 10,000 codes {theirs:.1f} s "
          f"(x49 for 70,000: about {theirs * 49:.0f} s)")
    if opts.skip_runs:
        return
    with tempfile.TemporaryDirectory() as out:
        def run(*overrides: str) -> float:
            return timed("train", *overrides, f"hydra.run.dir={Path(out) / str(time.time_ns())}")

        print("default digits run (sparseae train), end to end:")
        for load, context in (("idle", None), ("one core busy", busy_core)):
            if context:
                with context():
                    auto, two = run(), run("threads=2")
            else:
                auto, two = run(), run("threads=2")
            print(f"  {load:13s}: threads automatic {auto:5.1f} s, threads=2 {two:5.1f} s")
        if opts.data_dir:
            data = f"data_dir={opts.data_dir}"
            nmf = run("dataset=fashion_mnist", "model=sparse_nmf", "sparseness=0.6", data)
            print(f"README's sparse NMF example (fit on 10,000 images, 200 iterations, then metrics): {nmf:.0f} s")
            shallow = run("dataset=fashion_mnist", "model=shallow_ae", "regularizer=kl", "p=0.05", "beta=0.001",
                          "constraint=nonneg", "train.epochs=2", data)
            print(f"two-epoch shallow part-based AE on Fashion-MNIST, with its metrics: {shallow:.0f} s")


if __name__ == "__main__":
    main()
