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


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
