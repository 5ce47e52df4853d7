"""``train.compile`` (issue 17, section 2): one epoch of each small model on MNIST, eager and with
its batch loss compiled by torch.compile (forward, loss and penalty; the backward follows the
compiled graph), each after 20 untimed steps (which include the compilation), with the achieved
Linear-layer FLOP rate as a share of the matmul rate measured in the same run. The models'
own batch sizes and optimisers (``conf/model/*.yaml``).

    python bench/bench_compile.py [--data-dir DIR]
"""

from __future__ import annotations

import torch
from bench_parts import epoch_rate, images_and_matmul_rate

ROWS = {
    "shallow part-based AE, KL": ["model=shallow_ae", "regularizer=kl", "p=0.05", "beta=0.001"],
    "lecture simple AE 784-32-784": ["model=mlp_ae"],
    "lecture deep AE 128-64-32": ["model=mlp_ae", "model.hidden=[128,64,32]"],
    "lecture sparse AE (L1 code)": ["model=mlp_ae", "regularizer=l1", "beta=1e-4"],
    "lecture linear AE": ["model=linear_ae"],
    "lecture binary AE": ["model=binary_ae"],
    "VAE 784-400-20, gaussian": ["model=vae"],
    "VAE 784-400-20, laplace": ["model=vae", "model.prior=laplace"],
    "VAE 784-400-20, cauchy": ["model=vae", "model.prior=cauchy"],
}


def main() -> None:
    _, X, peak = images_and_matmul_rate("mnist")
    print(f"MNIST, {len(X)} training images, one epoch after 20 untimed steps; share of the matmul rate:")
    print(f"  {'model':<30} {'batch':>5} {'eager':>16} {'compiled':>16} {'speed-up':>8}")
    for label, overrides in ROWS.items():
        rates = {}
        for compiled in (False, True):
            # each row compiles afresh, as a run does in its own process (the compiled function's
            # code is shared by every model here: without a reset dynamo's recompile limit is hit)
            torch._dynamo.reset()
            _, seconds, batch, share = epoch_rate([*overrides, f"train.compile={compiled}"], X, peak, warmup=20)
            rates[compiled] = (seconds, share)
        (eager_s, eager_share), (fast_s, fast_share) = rates[False], rates[True]
        print(f"  {label:<30} {batch:>5} {eager_s:6.1f} s {eager_share:6.1%} {fast_s:6.1f} s {fast_share:6.1%} "
              f"{eager_s / fast_s:7.2f}x")


if __name__ == "__main__":
    main()
