"""Claiming a job folder before training into it, so that two processes resuming the same sweep
(or two sweeps pointed at one folder) never train the same job or mix their files.

The claim is a file ``.claim`` holding the owner's host and process id, created atomically
(O_CREAT | O_EXCL): of two processes, exactly one gets it. A claim whose process is gone (a
killed run, on this host) is stale and taken over; the owner removes its claim when it stops.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

CLAIM_FILE = ".claim"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def owner(folder: Path) -> str | None:
    """Who holds ``folder``'s claim ("host:pid"), or None when it is free or the claim is stale."""
    try:
        host, _, pid = (folder / CLAIM_FILE).read_text().strip().partition(":")
    except OSError:
        return None
    if host != socket.gethostname():
        return f"{host}:{pid}"  # another machine's process: assume it is alive
    try:
        return f"{host}:{pid}" if _alive(int(pid)) else None
    except ValueError:
        return None  # not a claim this code wrote: stale


@contextlib.contextmanager
def claim(folder: Path):
    """Hold ``folder``'s claim for the block; yields None when claimed, else the holder."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CLAIM_FILE
    if path.exists() and owner(folder) is None:
        path.unlink(missing_ok=True)  # stale: its process is gone
    try:
        handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        yield owner(folder) or "another process"
        return
    with os.fdopen(handle, "w") as out:
        out.write(f"{socket.gethostname()}:{os.getpid()}\n")
    try:
        yield None
    finally:
        path.unlink(missing_ok=True)
