"""The identity of the data a run read: its files' names, sizes and MD5s (and the names of
generated sources), hashed. Recorded in metrics.json so that a rerun after the files changed is
not mistaken for a finished run.

File checksums are cached on disk by (path, size, modification time), so fingerprinting the same
files again reads nothing (``$XDG_CACHE_HOME/sparseae/file_md5.json``; an unwritable cache is
simply not kept). The folder is not part of the identity: the same files moved elsewhere (another
``data_dir``) are the same data.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..records import write_json_atomic
from ._files import md5_of


def cache_path() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sparseae" / "file_md5.json"


def _load_cache(path: Path) -> dict:
    try:
        cache = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def file_md5(path: Path, cache: dict) -> str:
    """The MD5 of ``path``'s bytes, from ``cache`` when its size and modification time match."""
    stat = path.stat()
    key = str(path.resolve())
    entry = cache.get(key)
    if isinstance(entry, dict) and entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns:
        return str(entry.get("md5"))
    digest = md5_of(path)
    cache[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "md5": digest}
    return digest


def data_fingerprint(sources: list[str]) -> str:
    """A 16-hex-digit hash of the sources: name, size and MD5 of each file, the text of others."""
    store = cache_path()
    cache = _load_cache(store)
    before = dict(cache)
    parts = []
    for source in sources:
        path = Path(source)
        if path.is_file():
            parts.append(f"{path.name}:{path.stat().st_size}:{file_md5(path, cache)}")
        else:
            parts.append(source)
    if cache != before:
        try:
            store.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(store, cache)
        except OSError:
            pass  # the cache only saves time
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
