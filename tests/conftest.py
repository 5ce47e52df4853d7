"""Shared fixtures: the shared data folder and a way to run the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    for candidate in (os.environ.get("SPARSEAE_DATA_DIR"), ROOT.parent / "shared" / "data"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def needs_shared(*parts: str):
    """Skip unless ../shared/data (or $SPARSEAE_DATA_DIR) holds the given path."""
    base = shared_data_dir()
    present = base is not None and (base.joinpath(*parts)).exists()
    return pytest.mark.skipif(not present, reason=f"shared data {'/'.join(parts)} not available")


@pytest.fixture
def data_dir() -> Path:
    base = shared_data_dir()
    if base is None:
        pytest.skip("shared data folder not available")
    return base


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 600):
    """Run ``sparseae ARGS`` in a subprocess, as a user would; return the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run(
        [sys.executable, "-c", "from sparseae_cli.cli import main; main()", *args],
        cwd=cwd or ROOT, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


def run_cli_here(capsys, *args: str) -> subprocess.CompletedProcess:
    """``sparseae ARGS`` in this process (``cli.main``), for checks that need no fresh process:
    a refusal answers in milliseconds instead of a new interpreter's 2-3 s. An exception that
    escapes ``main`` (a traceback, for a user) fails the calling test."""
    from sparseae_cli.cli import main

    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as stopped:
        code = stopped.code if isinstance(stopped.code, int) else int(stopped.code is not None)  # as Python exits
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["sparseae", *args], code, out, err)


def assert_clean_error(result, exit_code: int, *fragments: str) -> None:
    """Exit status as expected, one 'sparseae: error:' line, no traceback."""
    assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("sparseae: error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


@pytest.fixture
def quick(tmp_path) -> list[str]:
    """Overrides for a fast run that writes into the test's temporary folder."""
    return ["experiment=quick", f"hydra.run.dir={tmp_path / 'run'}", f"hydra.sweep.dir={tmp_path / 'sweep'}"]


def composed(*overrides: str, hydra: bool = False):
    """The root config composed with ``overrides``, as ``sparseae train`` would see it
    (with Hydra's own node when ``hydra``)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sparseae_cli.cli import conf_dir

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
            return compose("config", overrides=list(overrides), return_hydra_config=hydra)
    finally:
        GlobalHydra.instance().clear()
