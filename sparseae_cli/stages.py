"""Timed stages of a run (loading, encoding, each metric, writing): a log line with the
duration of every stage that took a while, so that a long evaluation is never silent."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager

from tqdm.auto import tqdm

log = logging.getLogger("sparseae")
MIN_SECONDS = 1.0  # shorter stages are not worth a line


@contextmanager
def stage(name: str, min_seconds: float | None = None):
    """Time the block; log '<name>: <seconds> s' when it took ``min_seconds`` (MIN_SECONDS) or more."""
    started = time.perf_counter()
    yield
    took = time.perf_counter() - started
    if took >= (MIN_SECONDS if min_seconds is None else min_seconds):
        log.info("%s: %.1f s", name, took)


def steps(names: list[str], desc: str, progress: bool):
    """Iterate ``names`` under a progress bar on a terminal (its postfix: the step under way),
    each step a timed ``stage``."""
    bar = tqdm(names, desc=desc, disable=not progress, leave=False, unit="step")
    for name in bar:
        bar.set_postfix_str(name)
        with stage(f"{desc}: {name}"):
            yield name
