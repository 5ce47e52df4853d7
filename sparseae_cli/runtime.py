"""Where things run and where data lives: device, threads, data directory, versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

import torch

from .errors import UsageError

PACKAGES = ["sparseae", "torch", "numpy", "scikit-learn", "scipy", "pandas", "hydra-core"]


def pick_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"device={name} but no CUDA device is available; use device=auto or cpu")
    try:
        return torch.device(name)
    except RuntimeError:
        raise UsageError(f"unknown device '{name}'; use auto, cpu or cuda[:N]") from None


def resolve_data_dir(value: str | None) -> Path:
    """``data_dir`` from the config, else $SPARSEAE_DATA_DIR, else the user cache."""
    if value:
        return Path(str(value)).expanduser().resolve()
    if os.environ.get("SPARSEAE_DATA_DIR"):
        return Path(os.environ["SPARSEAE_DATA_DIR"]).expanduser().resolve()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return (cache / "sparseae" / "data").resolve()


def set_threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(int(threads))


# Below both, a training step is too small to split across threads: measured on 2 cores
# (bench/bench_threads.py), a second thread makes a 784-100-784 AE at batch 32 (10 MFLOP a
# forward pass, 157k weights) 1.3x slower, and the default digits run 1.6x slower on an idle
# machine and 3x slower with another process busy on one core. A 784-100-784 AE at batch 128
# (40 MFLOP) or a 2944-96-2944 layer pair (565k weights: Adam's step) gains from two.
SMALL_STEP_FLOPS = 32e6
SMALL_MODEL_PARAMETERS = 300_000


def forward_flops(model: torch.nn.Module, batch: dict, ctx) -> int:
    """Floating-point operations of one forward pass (torch's FlopCounterMode: matmuls and
    convolutions, which dominate)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(batch, ctx)
    return counter.get_total_flops()


def is_small_step(flops: float, parameters: int) -> bool:
    """Whether a training step is too small to gain from more than one CPU thread."""
    return flops < SMALL_STEP_FLOPS and parameters < SMALL_MODEL_PARAMETERS


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
