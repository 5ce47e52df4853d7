"""``sparseae evaluate RUN_DIR... --out DIR``: the metrics of unfinished runs at their last checkpoint.

A long run (the part-based AE report's 500 epochs on a CPU, a preempted cluster job) saves its
training state every ``train.checkpoint_every`` epochs. Evaluating that state answers "where
does it stand at epoch N" without waiting or disturbing the run: the checkpoints are copied
to ``--out`` and the run's own code path resumes from the copies with ``train.epochs=N``, so it
trains nothing and writes a complete run folder (metrics.json, weights, codes, ...).

With a one-phase schedule (plain or projected gradient, a constant learning rate) the state at
epoch N is exactly that of a run with ``train.epochs=N``: the output's config says so and carries
that run's config hash, and ``sparseae report`` treats it like one. Double descent is refused:
its phase-1 state is no finished run of any budget.
"""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

from omegaconf import OmegaConf

from . import records
from .errors import UsageError
from .summary import one_line_summary
from .training.checkpoint import Checkpoint

log = logging.getLogger("sparseae")

HELP = ("usage: sparseae evaluate RUN_DIR [RUN_DIR...] --out DIR [--data-dir DIR]   (a sweep folder stands "
        "for its jobs; data are read from --data-dir, else $SPARSEAE_DATA_DIR, else the user cache, never "
        "from a location the run folder names)")


def parse_args(args: list[str]) -> tuple[list[Path], Path, str | None]:
    """(run folders, output folder, the user's data directory or None)."""
    if not args or args[0] in ("-h", "--help"):
        raise UsageError(HELP)
    options = {}
    for flag in ("--out", "--data-dir"):
        if flag in args:
            at = args.index(flag)
            if at == len(args) - 1:
                raise UsageError(f"evaluate: {flag} needs a folder; {HELP}")
            options[flag] = args[at + 1]
            args = args[:at] + args[at + 2:]
    if "--out" not in options:
        raise UsageError(f"evaluate: name the output folder with --out DIR; {HELP}")
    unknown = [a for a in args if a.startswith("-")]
    if unknown or not args:
        raise UsageError(f"evaluate: unknown option '{unknown[0]}'; {HELP}" if unknown else HELP)
    return [Path(r) for r in args], Path(options["--out"]), options.get("--data-dir")


def user_data_location(cfg, data_dir: str | None) -> None:
    """Point ``cfg`` at the user's data directory: a run folder is input, and its recorded
    ``data_dir`` (or an absolute ``dataset.path`` outside that directory) could send reads and
    downloads anywhere. ``data_dir`` is not part of a run's identity, so the hash is unchanged."""
    from .runtime import resolve_data_dir

    folder = resolve_data_dir(data_dir)
    cfg.data_dir = str(folder)
    path = cfg.dataset.get("path")
    if path and Path(str(path)).is_absolute() and not Path(str(path)).resolve().is_relative_to(folder):
        raise UsageError(f"evaluate: the run reads dataset.path={path}, outside the data directory {folder}; "
                         "copy that file under it (or pass --data-dir with the folder that holds it)")


def runs_with_checkpoints(paths: list[Path]) -> list[Path]:
    """Each path that is a run with checkpoints, or the job folders of a sweep that have them."""
    from .runner import CHECKPOINTS

    found = []
    for path in paths:
        if not path.is_dir():
            raise UsageError(f"evaluate: {path} is not a folder")
        if (path / records.CONFIG_FILE).exists():
            found.append(path)
            continue
        jobs = [p for p in path.iterdir() if (p / CHECKPOINTS).is_dir() and (p / records.CONFIG_FILE).exists()]
        jobs.sort(key=lambda p: (len(p.name), p.name))  # sweep jobs 0, 1, ..., 10 in order
        if not jobs:
            raise UsageError(f"evaluate: {path} is neither a run folder nor a sweep with checkpointed jobs")
        found.extend(jobs)
    return found


def checkpoint_epochs(checkpoint_dir: Path, config_hash: str) -> int:
    """The epoch every checkpoint of a run stands at; refuses files of another config and members
    that stand at different epochs (some members would be reported at a budget they never had)."""
    files = sorted(checkpoint_dir.glob("*.pt"))
    if not files:
        raise UsageError(f"evaluate: no checkpoints in {checkpoint_dir}; the run finished (see its "
                         "metrics.json) or has not saved one yet")
    epochs = {}
    for file in files:
        state = Checkpoint(file, 1, config_hash, required=True).load()
        epochs[file.name] = len(state["history"])
    if len(set(epochs.values())) > 1:
        raise UsageError(f"evaluate: the members of {checkpoint_dir.parent} stand at different epochs "
                         f"({', '.join(f'{k}: {v}' for k, v in epochs.items())}); evaluate it later")
    return next(iter(epochs.values()))


def evaluate_checkpoint(run_dir: Path, out_dir: Path, data_dir: str | None = None) -> dict:
    """Evaluate ``run_dir``'s last checkpoint into ``out_dir`` (a complete run folder); return its record."""
    from .runner import CHECKPOINTS, run

    if out_dir.resolve() == run_dir.resolve():
        raise UsageError("evaluate: --out must differ from the run's own folder (its metrics.json would "
                         "mark the unfinished run complete)")
    cfg = OmegaConf.load(run_dir / records.CONFIG_FILE)
    if any(f.stem.endswith(("_phase1", "_phase2")) for f in (run_dir / CHECKPOINTS).glob("*.pt")):
        raise UsageError(f"evaluate: {run_dir} trains by double descent; only one-phase schedules "
                         "(plain, projected_gradient) stop at a checkpoint as a finished run would")
    user_data_location(cfg, data_dir)
    source_hash = records.config_hash(OmegaConf.to_container(cfg, resolve=True))
    epochs = checkpoint_epochs(run_dir / CHECKPOINTS, source_hash)
    budget = int(cfg.train.epochs)
    shutil.rmtree(out_dir / CHECKPOINTS, ignore_errors=True)
    shutil.copytree(run_dir / CHECKPOINTS, out_dir / CHECKPOINTS)
    cfg.train.epochs = epochs
    if cfg.train.get("epochs_phase2") == budget:  # it followed train.epochs (conf/train): still does
        cfg.train.epochs_phase2 = epochs
    every = max(1, int(cfg.train.get("checkpoint_every", 0)))
    copies = Checkpoint(out_dir / CHECKPOINTS, every, source_hash, required=True)
    note = {"checkpoint_of": {"run": str(run_dir.resolve()), "epochs": epochs, "budget": budget}}
    # Training resumes from the copies at their last epoch and runs none of them.
    return run(cfg, out_dir, progress=sys.stderr.isatty(), checkpoint=copies, note=note)


def _log_to_stderr() -> None:
    """Stage lines (loading, encoding, each metric) as ``sparseae train`` prints them under Hydra."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def evaluate(args: list[str]) -> int:
    paths, out, data_dir = parse_args(args)
    _log_to_stderr()
    runs = runs_with_checkpoints(paths)
    if len({r.name for r in runs}) < len(runs):
        raise UsageError("evaluate: two runs share a folder name and would share an output folder; "
                         "evaluate them one at a time with their own --out")
    for run_dir in runs:
        target = records.output_folder(out / run_dir.name if len(runs) > 1 else out)
        record = evaluate_checkpoint(run_dir, target, data_dir)
        epochs = record["checkpoint_of"]
        print(f"{run_dir} at epoch {epochs['epochs']} of {epochs['budget']}: "
              f"{one_line_summary(record, target)}")
    return 0
