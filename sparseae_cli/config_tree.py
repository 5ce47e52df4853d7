"""Where the Hydra configs live and which groups and choices they offer.

Kept free of heavy imports (no torch, no Hydra): ``sparseae --help`` reads only this.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def conf_dir() -> Path:
    """The installed configs, or conf/ beside the package when run from a source checkout
    (where the checkout's sparseae_cli shadows an installed one)."""
    try:
        return Path(str(resources.files("sparseae_cli.conf")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "conf"


def config_groups(conf_dir: Path) -> dict[str, list[str]]:
    """Config group -> its choices, read from the config tree."""
    return {
        group.name: sorted(p.stem for p in group.glob("*.yaml"))
        for group in sorted(conf_dir.iterdir())
        if group.is_dir() and not group.name.startswith("_") and group.name != "hydra"
    }
