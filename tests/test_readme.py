"""The README's examples are commands a newcomer copies: every `sparseae train` line composes and
passes the same checks a real run makes before any work (its data aside)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from sparseae_cli.config_check import check_overrides
from sparseae_cli.config_tree import conf_dir

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_train_commands() -> list[list[str]]:
    """The arguments of every `sparseae train` line (continued lines joined, comments dropped)."""
    commands = []
    for line in README.read_text().replace("\\\n", " ").splitlines():
        text = line.split("#", 1)[0].strip()
        if text.startswith("sparseae train"):
            commands.append(shlex.split(text)[2:])
    return commands


def test_the_readme_shows_train_examples():
    assert len(readme_train_commands()) >= 15


@pytest.mark.parametrize("args", readme_train_commands(), ids=" ".join)
def test_every_readme_train_example_passes_the_checks_made_before_a_run(args, tmp_path):
    multirun = "-m" in args
    if "--cfg" in args:  # --cfg job: the flag and its value
        at = args.index("--cfg")
        args = args[:at] + args[at + 2:]
    overrides = [a for a in args if a != "-m"]
    check_overrides([*overrides, f"hydra.run.dir={tmp_path}/r", f"hydra.sweep.dir={tmp_path}/s"], conf_dir(),
                    multirun=multirun)
