"""Finding, downloading and verifying data files."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import urllib.request
from pathlib import Path

from ..errors import DataError

TIMEOUT_S = 30


def md5_of(path: Path, decompress: bool = False) -> str:
    opener = gzip.open if decompress else open
    digest = hashlib.md5()
    with opener(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def require_file(
    folder: Path,
    name: str,
    urls: list[str] | None = None,
    md5: str | None = None,
    md5_decompressed: bool = False,
    download: bool = True,
) -> Path:
    """Return ``folder/name``, downloading it from ``urls`` when it is missing.

    ``md5`` is checked on the decompressed bytes when ``md5_decompressed`` is set,
    so a re-compressed mirror of the same content passes.
    """
    path = folder / name
    if path.exists():
        if not path.is_file():
            raise DataError(f"{path} is not a file (a folder?); place the data file '{name}' there instead")
        return path
    errors = []
    if download and urls:
        for url in urls:
            try:
                fetch(url, path, md5, md5_decompressed)
                return path
            except (OSError, DataError) as exc:
                errors.append(f"{url}: {exc}")
    how = f"download it from {urls[0]}" if urls else "obtain it from its publisher"
    tried = f" (download failed: {errors[-1]})" if errors else ""
    raise DataError(
        f"missing data file '{name}' in {folder}{tried}; {how} and place it there, "
        f"or set data_dir=... (or SPARSEAE_DATA_DIR) to the folder that holds it"
    )


def fetch(url: str, path: Path, md5: str | None, md5_decompressed: bool) -> None:
    """Download to a temporary name, verify, then move into place (never a half file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, open(partial, "wb") as out:
        shutil.copyfileobj(response, out)
    if md5 is not None:
        got = md5_of(partial, decompress=md5_decompressed)
        if got != md5:
            partial.unlink()
            raise DataError(f"checksum mismatch for {path.name}: md5 {got}, expected {md5}")
    partial.replace(path)
