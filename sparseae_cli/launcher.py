"""``hydra/launcher=processes``: a sweep's jobs in a pool of local processes forked from a server
that has already imported torch and every plugin.

Hydra's joblib launcher starts its loky workers when the sweep is launched; each then imports
torch, scikit-learn and the plugins (about 3 s on 2 cores) and its first optimiser imports
torch._dynamo (about 1 s more), all while the sweep waits. Here the workers are forked from a
``multiprocessing`` forkserver whose preload (``launcher_preload``) does those imports once,
and ``sparseae train`` starts that server as soon as the command line names this launcher
(``warm_up``), so it imports while the main process is still composing and checking the jobs.
A forkserver is single-threaded and runs no torch operation, so forking it is safe where forking
a process that has run OpenMP work is not.

The jobs themselves run as with the joblib launcher: each composes its config in its worker and
is run by Hydra's ``run_job``; results come back in launch order. The task and Hydra's context
travel by cloudpickle (the task is a closure); each job also takes the launching process's
environment and working directory, which the server, started earlier, may not have seen.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Sequence

import cloudpickle
from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from omegaconf import open_dict

from .errors import UsageError

log = logging.getLogger(__name__)

NAME = "processes"  # hydra/launcher=processes (conf/hydra/launcher/processes.yaml)
PRELOAD = "sparseae_cli.launcher_preload"


def check_settings(launcher_cfg) -> None:
    """Refuse, before any job, settings of this launcher that it cannot run (other launchers
    check their own)."""
    if not str(launcher_cfg.get("_target_", "")).endswith(f".{ProcessesLauncher.__name__}"):
        return
    n_jobs = launcher_cfg.get("n_jobs")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise UsageError(f"hydra.launcher.n_jobs={n_jobs}: give how many jobs run at once (an integer >= 1), "
                         "or -1 for one per core")


def _context() -> multiprocessing.context.BaseContext:
    """The forkserver context with the preload set, where the platform has one (not Windows);
    spawn elsewhere, whose workers import on their own."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    return context


def register() -> None:
    """Make the launcher known to Hydra. Hydra finds plugins by listing its hydra_plugins
    namespace, which an editable install (pip install -e) does not let it list."""
    from hydra.core.plugins import Plugins

    from hydra_plugins.sparseae_launcher import ProcessesLauncher as Registered

    Plugins.instance().register(Registered)


def warm_up() -> None:
    """Start the forkserver now, so that it imports in parallel with what the caller does next;
    the pool forks its workers from it later. Harmless if it is never used (it exits with us)."""
    context = _context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def names_this_launcher(overrides: Sequence[str]) -> bool:
    """True when the command line chooses this launcher (``hydra/launcher=processes``), read by
    Hydra's own override parser; False for a line it cannot parse (the checks that follow say why)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException:
        return False
    return any(o.key_or_group == "hydra/launcher" and not o.is_delete() and o.value() == NAME for o in parsed)


def _run_one(payload: bytes, idx: int, overrides: list[str], environ: dict, cwd: str) -> bytes:
    """In a worker: compose job ``idx`` from ``overrides`` and run it, as Hydra's launchers do."""
    hydra_context, config, task_function, singleton_state = cloudpickle.loads(payload)
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    setup_globals()
    Singleton.set_state(singleton_state)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, overrides)
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    result = run_job(hydra_context=hydra_context, config=sweep_config, task_function=task_function,
                     job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
    return cloudpickle.dumps(result)


class ProcessesLauncher(Launcher):
    """Run a sweep's jobs ``n_jobs`` at a time (-1: one per core) in forked local processes."""

    def __init__(self, n_jobs: int = -1) -> None:
        self.n_jobs = int(n_jobs)
        self.config = self.task_function = self.hydra_context = None

    def setup(self, *, hydra_context, task_function, config) -> None:
        self.hydra_context, self.task_function, self.config = hydra_context, task_function, config
        warm_up()  # already running when the command line named this launcher

    def workers(self, n_jobs: int) -> int:
        cores = os.cpu_count() or 1
        return max(1, min(n_jobs, cores if self.n_jobs < 0 else self.n_jobs))

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        workers = self.workers(len(job_overrides))
        log.info("Launching %d jobs on %d local processes, sweep output dir: %s", len(job_overrides), workers,
                 sweep_dir)
        for idx, overrides in enumerate(job_overrides, start=initial_job_idx):
            log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
        payload = cloudpickle.dumps((self.hydra_context, self.config, self.task_function, Singleton.get_state()))
        environ, cwd = dict(os.environ), os.getcwd()
        waiting = list(enumerate(job_overrides, start=initial_job_idx))[::-1]
        running, results = {}, {}
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context())
        try:
            while waiting or running:
                # At most one job per worker is handed over: after Ctrl-C (which the running jobs
                # receive too, as the terminal's process group) or a job's refusal, none other starts.
                while waiting and len(running) < workers:
                    idx, overrides = waiting.pop()
                    running[pool.submit(_run_one, payload, idx, list(overrides), environ, cwd)] = idx
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    results[running.pop(future)] = cloudpickle.loads(future.result())
        except BrokenProcessPool:
            # SystemExit: one line and status 1, past Hydra's report of exceptions (a traceback).
            raise SystemExit(f"sparseae: error: a worker process died (killed, or out of memory) while running "
                             f"the sweep in {sweep_dir}; the same command resumes it (finished jobs are "
                             "skipped, checkpoints and claims of dead jobs taken over)") from None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return [results[idx] for idx in sorted(results)]
