"""The explicit package list in pyproject.toml must name every subpackage, or a
non-editable install silently ships without it."""
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("sparseae_cli", "hydra_plugins") for init in (ROOT / top).rglob("__init__.py")
    }
    assert on_disk - listed == set(), f"add these to [tool.setuptools] packages: {sorted(on_disk - listed)}"


def test_every_config_group_is_listed_in_pyproject():
    """Config folders ship as data-only packages: one left out is missing from a wheel (and
    setuptools warns about it on every install)."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(("sparseae_cli.conf", *folder.relative_to(ROOT / "conf").parts))
        for folder in (ROOT / "conf").rglob("*") if folder.is_dir()
    }
    assert on_disk - listed == set(), f"add these to [tool.setuptools] packages: {sorted(on_disk - listed)}"


def test_the_license_is_an_spdx_string():
    """A TOML table for project.license stops building with setuptools from February 2027."""
    assert isinstance(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"], str)


def test_torch_can_come_from_the_cpu_wheel_index():
    """`make demo TORCH_INDEX=...` installs torch from that index (PyPI's Linux torch is the CUDA build)."""
    import subprocess

    dry = subprocess.run(["make", "-n", "-B", "-C", str(ROOT), ".venv/.installed",
                          "TORCH_INDEX=https://download.pytorch.org/whl/cpu"], capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in dry.stdout
