"""Hydra callback: count the jobs of a sweep that failed, in the launching process.

Each failed job writes a FAILED file (one line: why) into its own directory,
whatever launcher ran it; at the end of the sweep this callback reads them so the
command can exit non-zero and name the failures.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hydra.experimental.callback import Callback

FAILED_FILE = "FAILED"
failed_jobs: dict[Path, int] = {}  # job folder -> exit status


def write_failure(out_dir: Path, message: str, exit_code: int) -> None:
    (out_dir / FAILED_FILE).write_text(f"{message}\nexit status {exit_code}\n")


def read_exit_code(path: Path) -> int:
    last = path.read_text().strip().splitlines()[-1]
    return int(last.rsplit(" ", 1)[-1]) if last.startswith("exit status") else 1


class FailedJobsCallback(Callback):
    started = 0.0  # when the sweep began (time.time)

    def on_multirun_start(self, config, **kwargs) -> None:
        self.started = time.time()

    def on_multirun_end(self, config, **kwargs) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        # Only this sweep's failures: a FAILED left by an earlier sweep in the same folder (a job
        # this one did not run) is not news, and must not turn a successful sweep into a failure.
        since = self.started - 1.0  # coarse file-system clocks
        found = sorted(p for p in sweep_dir.glob(f"*/{FAILED_FILE}") if p.stat().st_mtime >= since)
        failed_jobs.update({p.parent: read_exit_code(p) for p in found})
        if found:
            names = ", ".join(p.parent.name for p in found)
            print(f"sparseae: {len(found)} job(s) failed in {sweep_dir}: {names} "
                  f"(see the FAILED file in each)", file=sys.stderr)
