"""Speed of the sparse VAEs (issue: per-epoch time of the MNIST VAE on 2 CPU cores).

One epoch over the 60,000 MNIST training images with the VAE's own settings (pytorch/examples:
784-400-20, Adam 1e-3, batch 128), timed by the real epoch loop after 20 untimed steps, for each
prior; FLOPs are the Linear layers' forward multiply-adds x 2, times 3 for forward + backward. Then the cost of the
importance-weighted log p(x) on the 10,000 test images (K = 100 draws each, eval=vae's default).

    python bench/bench_pyle.py [--data-dir DIR]
"""

from __future__ import annotations

import time

import torch
from bench_parts import images_and_matmul_rate, print_epoch

ROWS = {f"vae 784-400-20, {prior} prior": ["model=vae", f"model.prior={prior}"]
        for prior in ("gaussian", "laplace", "cauchy")}
K = 100


def main() -> None:
    data, X, peak = images_and_matmul_rate("mnist")
    print(f"MNIST, {len(X)} training images, one epoch, Adam 1e-3, batch 128:")
    for label, overrides in ROWS.items():
        model = print_epoch(label, overrides, X, peak, warmup=20)
    x_test = torch.from_numpy(data.X[data.test_index])
    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        for chunk in torch.split(x_test, 200):
            model.log_weights(chunk, K, torch.Generator().manual_seed(0))
    print(f"  importance-weighted log p(x), {len(x_test)} test images x K = {K}: "
          f"{time.perf_counter() - start:6.1f} s")


if __name__ == "__main__":
    main()
