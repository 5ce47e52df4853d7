"""Speed of the lecture's autoencoders (issue: per-epoch time of mlp_ae, 32 and deep, and
conv_ae on MNIST, as a fraction of this machine's matmul rate).

One epoch over the 60,000 MNIST training images with each model's own training settings
(Adadelta, the Keras blog's batch sizes), timed by the real epoch loop; FLOPs are the Linear and
Conv2d layers' forward multiply-adds x 2, times 3 for forward + backward.

    python bench/bench_lecture.py [--data-dir DIR]
"""

from __future__ import annotations

from bench_parts import images_and_matmul_rate, print_epoch

ROWS = {  # label -> overrides (the rows of conf/lecture_model)
    "mlp_ae 784-32-784": ["model=mlp_ae"],
    "mlp_ae deep 784-128-64-32": ["model=mlp_ae", "model.hidden=[128,64,32]"],
    "conv_ae 16-8-8 (128-d code)": ["model=conv_ae"],
    "conv_ae 32-32, denoising": ["model=conv_ae", "model.channels=[32,32]", "train.corruption=gaussian"],
}


def main() -> None:
    _, X, peak = images_and_matmul_rate("mnist")
    print(f"MNIST, {len(X)} training images, one epoch, Adadelta (Keras defaults):")
    for label, overrides in ROWS.items():
        print_epoch(label, overrides, X, peak)


if __name__ == "__main__":
    main()
