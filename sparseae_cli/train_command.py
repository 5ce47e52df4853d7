"""``sparseae train``: check the overrides, then hand the command line to Hydra."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import hydra
from hydra._internal.utils import get_args_parser
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from . import callbacks, claims, launcher, loggers, records
from .errors import INTERRUPTED, RunFailed, SparseaeError, UsageError
from .summary import one_line_summary


def _progress(setting) -> bool:
    if setting == "auto":
        return sys.stderr.isatty()
    return bool(setting)


def _share_cores(hydra_cfg) -> None:
    """Parallel local jobs split the cores instead of each taking all of them."""
    import torch  # not at the top: `sparseae train` starts the launcher's server before importing torch

    n_jobs = hydra_cfg.launcher.get("n_jobs") if "launcher" in hydra_cfg else None
    if hydra_cfg.mode == RunMode.MULTIRUN and n_jobs:
        cores = os.cpu_count() or 1
        parallel = cores if n_jobs < 0 else min(int(n_jobs), cores)
        torch.set_num_threads(max(1, cores // parallel))


def _make_task(debug: bool):
    def task(cfg) -> int:
        hydra_cfg = HydraConfig.get()
        out_dir = Path(hydra_cfg.runtime.output_dir)
        if cfg.get("threads") is None:
            _share_cores(hydra_cfg)
        with claims.claim(out_dir) as holder:
            if holder is not None:  # another process is training this very job
                print(f"sparseae: skipped, being trained by process {holder}: {out_dir}")
                return 0
            return _train_job(cfg, out_dir, hydra_cfg, debug)

    return task


def _train_job(cfg, out_dir: Path, hydra_cfg, debug: bool) -> int:
    """Train one job into ``out_dir`` (claimed), unless it holds this finished run."""
    from . import runner

    try:
        done, refused = runner.folder_state(cfg, out_dir)
    except SparseaeError as exc:  # the data of a finished run could not be read to compare
        print(f"sparseae: error: {' '.join(str(exc).split())}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    if refused:  # stop before anything is written into that folder
        print(f"sparseae: error: {refused}", file=sys.stderr)
        raise SystemExit(2)
    (out_dir / callbacks.FAILED_FILE).unlink(missing_ok=True)  # from an earlier attempt
    if cfg.get("resume", True) and done is not None:
        print(f"sparseae: skipped, already complete with the same config and data: {out_dir}")
        return 0
    try:
        try:
            record = _tracked_run(cfg, out_dir, hydra_cfg)
        except KeyboardInterrupt:
            callbacks.write_failure(out_dir, INTERRUPTED, 130)
            raise
        except SparseaeError:
            raise
        except Exception as exc:  # a bug or a library failure: still one line
            if debug:
                raise
            (out_dir / "traceback.txt").write_text(traceback.format_exc())
            raise RunFailed(
                f"run failed: {type(exc).__name__}: {' '.join(str(exc).split())} "
                f"(traceback in {out_dir / 'traceback.txt'}; --debug shows it)"
            ) from None
    except SparseaeError as exc:
        if debug:
            raise
        message = " ".join(str(exc).split())
        callbacks.write_failure(out_dir, message, exc.exit_code)
        print(f"sparseae: error: {message}", file=sys.stderr)
        # Bad input stops a sweep at once (the launcher's other jobs would repeat it);
        # a job that merely fails lets the sweep go on.
        if hydra_cfg.mode == RunMode.RUN or isinstance(exc, UsageError):
            raise SystemExit(exc.exit_code) from None
        return exc.exit_code
    print(one_line_summary(record, out_dir))
    return 0


SHARED_DIR = ".shared"  # in a sweep's folder: the training phases its jobs share
SWEPT_KEYS = "SPARSEAE_SWEPT_KEYS"  # the keys a command line sweeps, for the jobs (launchers pass the environment)


def _run_info(out_dir: Path, hydra_cfg) -> loggers.RunInfo:
    """How trackers file this job: grouped by its sweep, named by the values of the keys the
    sweep varies (command line or the experiment's grid), else by its overrides or folder."""
    if hydra_cfg.mode != RunMode.MULTIRUN:
        return loggers.RunInfo(out_dir, hydra_cfg.job.get("override_dirname") or out_dir.name, None)
    swept = set(os.environ.get(SWEPT_KEYS, "").split(",")) | set(hydra_cfg.sweeper.get("params") or {})
    chosen = [o for o in hydra_cfg.overrides.task if o.split("=", 1)[0].lstrip("+~") in swept]
    return loggers.RunInfo(out_dir, ",".join(chosen) or out_dir.name, str(hydra_cfg.sweep.dir))


def _tracked_run(cfg, out_dir: Path, hydra_cfg) -> dict:
    """``runner.run`` with the chosen tracker (``logger=``) open; it is told how the run ended."""
    from omegaconf import OmegaConf

    from . import runner

    with loggers.tracking(cfg, _run_info(out_dir, hydra_cfg)) as tracker:
        params = records.flatten(OmegaConf.to_container(cfg, resolve=True))
        try:
            shared = Path(str(hydra_cfg.sweep.dir)) / SHARED_DIR if hydra_cfg.mode == RunMode.MULTIRUN else None
            record = runner.run(cfg, out_dir, progress=_progress(cfg.progress), shared_dir=shared)
        except BaseException:
            tracker.finish(params, {}, "FAILED")
            raise
        tracker.finish(params, {k: v["mean"] for k, v in record["summary"].items()}, "FINISHED")
    return record


def _swept_keys(overrides: list[str]) -> list[str]:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return [o.key_or_group for o in OverridesParser.create().parse_overrides(overrides) if o.is_sweep_override()]


def train(args: list[str], conf_dir: Path, debug: bool) -> int:
    parser = get_args_parser()

    def refuse(message: str):
        raise UsageError(f"train: {message}; flags such as -m go before the overrides")

    parser.error = refuse
    parsed = parser.parse_args(args)
    if parsed.experimental_rerun:
        raise UsageError("train: --experimental-rerun unpickles its file, which can run any code; "
                         "rerun the command with its overrides (.hydra/overrides.yaml) instead")
    if not (parsed.help or parsed.hydra_help or parsed.shell_completion):
        if launcher.names_this_launcher(parsed.overrides) and not parsed.cfg:
            launcher.warm_up()  # its workers' imports overlap the checks below
        from .config_check import check_overrides

        check_overrides(parsed.overrides, conf_dir, parsed.config_name or "config", multirun=parsed.multirun)
    os.environ[SWEPT_KEYS] = ",".join(_swept_keys(parsed.overrides))
    if parsed.cfg and not parsed.resolve:
        # Print the values the run will use, not ${oc.select:...} formulas (--resolve, always).
        args = ["--resolve", *args]
    callbacks.failed_jobs.clear()
    launcher.register()
    main = hydra.main(version_base="1.3", config_path=str(conf_dir), config_name="config")(
        _make_task(debug)
    )
    saved = sys.argv
    sys.argv = ["sparseae-train", *args]
    try:
        main()
    finally:
        sys.argv = saved
    return max(callbacks.failed_jobs.values(), default=0)
