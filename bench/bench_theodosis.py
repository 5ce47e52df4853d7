"""Speed of the group-sparse unrolled AE (issue: per-epoch time on MNIST on 2 CPU cores, the
Gram matrix formed once per batch, no Python loop beyond the unrolled layers).

One epoch over the 60,000 MNIST training images (the training mean image subtracted) with the
authors' settings (Adam 1e-3, batch 64, 15 FISTA layers), timed by the real epoch loop, for the
sparse (320 x 1) and the group-sparse (10 x 32) AE. FLOPs per step, counted by hand: the Gram
matrix 2 k^2 d, the drive A^T y 2 B k d, each layer 2 B k^2, the decoder 2 B k d; times 3 for
forward + backward (the power iteration and the renormalisation are left out: O(k d)).

    python bench/bench_theodosis.py [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os

import torch
from bench_parts import matmul_gflops, train_one_epoch, training_images

ROWS = {"ista_ae 320 x 1, lambda 0.5": ["model=ista_ae"],
        "group_sparse_ae 10 x 32, lambda 7.5": ["model=group_sparse_ae"]}
AUTHORS_EPOCHS = 200


def step_flops(k: int, d: int, batch: int, layers: int) -> float:
    return 3 * (2 * k * k * d + 2 * batch * k * d + layers * 2 * batch * k * k + 2 * batch * k * d)


def time_epoch(label: str, overrides: list[str], X: torch.Tensor, peak: float) -> None:
    model, cfg, seconds = train_one_epoch(overrides, X, init_from_data=True)
    batch = int(cfg.train.batch_size)
    steps = -(-len(X) // batch)
    flops = step_flops(len(model.atoms), X.shape[1], batch, int(cfg.model.layers)) * steps
    print(f"  {label:<36} {seconds:6.1f} s an epoch ({1000 * seconds / steps:5.1f} ms a step), "
          f"{flops / seconds / 1e9:5.1f} GFLOP/s = {flops / seconds / 1e9 / peak:5.1%} of the matmul rate; "
          f"the authors' {AUTHORS_EPOCHS} epochs: {AUTHORS_EPOCHS * seconds / 60:5.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=os.environ.get("SPARSEAE_DATA_DIR", "../shared/data"))
    opts = parser.parse_args()
    _, X = training_images("mnist", opts.data_dir)
    X = X - X.mean(0)  # the authors' preparation
    peak = matmul_gflops()
    print(f"matmul (2048^3) on {torch.get_num_threads()} threads: float32 {peak:.1f} GFLOP/s")
    print(f"MNIST, {len(X)} training images minus their mean, one epoch, Adam 1e-3, batch 64, 15 layers:")
    for label, overrides in ROWS.items():
        time_epoch(label, overrides, X, peak)


if __name__ == "__main__":
    main()
