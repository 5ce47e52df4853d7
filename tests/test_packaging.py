"""The explicit package list in pyproject.toml must name every subpackage, or a
non-editable install silently ships without it."""
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "sparseae_cli").rglob("__init__.py")
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
