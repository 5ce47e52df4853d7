"""The ``sparseae`` command: ``train`` (a Hydra application), ``report``, ``sample``, ``figures``, ``evaluate``.

Bad input exits 2 and a failed run exits 1, each with one line on stderr and no
traceback (``--debug`` shows it).
"""

from __future__ import annotations

import os
import sys
from importlib import metadata

from .config_tree import conf_dir, config_groups
from .errors import INTERRUPTED, SparseaeError, UsageError

COMMANDS = {
    "train": "train a model (Hydra overrides, -m for sweeps, --cfg job to print the config)",
    "report": "collect runs into tables: sparseae report DIR... --by constraint,eta",
    "sample": "new samples of a run, decoded (prior draws of a VAE, else Metropolis-Hastings in its "
              "latent space): sparseae sample RUN_DIR n=10",
    "figures": "latent-space and image figures of runs: sparseae figures RUN_DIR [RUN_DIR]",
    "evaluate": "metrics of unfinished runs at their last checkpoint: sparseae evaluate RUN_DIR --out DIR",
}


def usage() -> str:
    """The command list, the config groups and their choices. Reads the config tree only:
    no torch or Hydra import, so ``--help`` answers at once."""
    lines = ["usage: sparseae COMMAND [ARGS...] [--debug] | --help | --version", "", "commands:"]
    lines += [f"  {name:<8} {text}" for name, text in COMMANDS.items()]
    lines += ["", "config groups (choose with GROUP=CHOICE):"]
    groups = config_groups(conf_dir())
    width = max(map(len, groups))
    lines += [f"  {group:<{width}} {', '.join(choices)}" for group, choices in groups.items()]
    lines += [
        "",
        "examples:",
        "  sparseae train model=supervised_ae constraint=l11 eta=300",
        "  sparseae train -m dataset=ohlson constraint=l1,l11 eta=200,400,1000",
        "  sparseae report outputs/multirun/DATE/TIME --by constraint,eta",
        "  sparseae train --help     (Hydra's help: every key and its default)",
    ]
    return "\n".join(lines)


def version() -> str:
    try:
        return f"sparseae {metadata.version('sparseae')}"
    except metadata.PackageNotFoundError:  # a source checkout that was never installed
        return "sparseae (not installed)"


def _print_and_exit(text: str) -> None:
    """Print and exit 0; a reader that closes the pipe early (``| head``) is not an error."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at /dev/null so that raises nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    if debug:
        os.environ["HYDRA_FULL_ERROR"] = "1"
    if not argv or argv[0] in ("-h", "--help", "help"):
        _print_and_exit(usage())
    if argv[0] in ("-V", "--version"):
        _print_and_exit(version())
    command, rest = argv[0], argv[1:]
    try:
        if command == "train":
            from .train_command import train

            code = train(rest, conf_dir(), debug)
        elif command == "report":
            from .reporting.command import report

            code = report(rest)
        elif command == "sample":
            from .sample_command import sample

            code = sample(rest)
        elif command == "figures":
            from .reporting.figures_command import figures

            code = figures(rest)
        elif command == "evaluate":
            from .evaluate_command import evaluate

            code = evaluate(rest)
        else:
            raise UsageError(f"unknown command '{command}'; choose one of: {', '.join(COMMANDS)}")
    except SparseaeError as exc:
        if debug:
            raise
        print(f"sparseae: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"sparseae: {INTERRUPTED}", file=sys.stderr)
        code = 130  # 128 + SIGINT, as shells report it
    sys.exit(code)
