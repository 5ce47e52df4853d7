"""Hydra callback: count the jobs of a sweep that failed, in the launching process.

Each failed job writes a FAILED file (one line: why) into its own directory,
whatever launcher ran it; at the end of the sweep this callback reads them so the
command can exit non-zero and name the failures.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hydra.experimental.callback import Callback

FAILED_FILE = "FAILED"
failed_jobs: list[Path] = []


class FailedJobsCallback(Callback):
    def on_multirun_end(self, config, **kwargs) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        found = sorted(sweep_dir.glob(f"*/{FAILED_FILE}"))
        failed_jobs.extend(p.parent for p in found)
        if found:
            names = ", ".join(p.parent.name for p in found)
            print(f"sparseae: {len(found)} job(s) failed in {sweep_dir}: {names} "
                  f"(see the FAILED file in each)", file=sys.stderr)
