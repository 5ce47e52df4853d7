"""Flow and mass cytometry files (FCS 2.0/3.x), read with ``flowio``.

``dataset.path`` is a file or a glob (``'runs/*.fcs'``); every file is one sample of origin
(SAUCIE's batches: the MMD term aligns each file with the first). The channels are those of the
first file less ``exclude`` (time and event-length channels carry no biology), or the list in
``channels``; every file must hold them. Values are transformed by arcsinh(x / cofactor), cofactor
5, as SAUCIE's and most CyTOF users are told to do (Bendall et al., Science 2011). FCS files hold
no cell types: runs are unlabelled, and only label-free metrics apply.
"""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..params import POSITIVE, Options
from . import DATASETS
from ._base import Dataset

PARAMETERS = {"transform": Options(("none", "arcsinh")), "cofactor": POSITIVE.means("arcsinh(x / cofactor)")}


def fcs_files(cfg, data_dir: Path) -> list[Path]:
    """The files ``dataset.path`` names (a glob relative to the data directory, or absolute)."""
    if not cfg.get("path"):
        raise DataError("dataset=fcs needs dataset.path=/path/to/file.fcs or a glob such as 'runs/*.fcs'")
    pattern = Path(str(cfg.path)).expanduser()
    pattern = pattern if pattern.is_absolute() else data_dir / pattern
    files = sorted(Path(p) for p in glob.glob(str(pattern)) if Path(p).is_file())
    if not files:
        raise DataError(f"no FCS file matches {pattern}; check dataset.path (relative paths start at data_dir)")
    return files


def read_fcs(path: Path) -> tuple[np.ndarray, list[str]]:
    """(events x channels, channel names: $PnS when set, else $PnN)."""
    try:
        import flowio
    except ImportError:
        raise DataError("dataset=fcs needs the flowio package: pip install 'sparseae[singlecell]'") from None
    try:
        flow = flowio.FlowData(str(path))
        events = np.asarray(flow.as_array(preprocess=True), dtype=np.float64)
    except Exception as exc:  # flowio raises ValueError, KeyError, struct errors... on a bad file
        raise DataError(f"{path}: not a readable FCS file ({type(exc).__name__}: {exc})") from None
    names = [flow.channels[i].get("pns") or flow.channels[i]["pnn"] for i in sorted(flow.channels)]
    if not np.isfinite(events).all():
        raise DataError(f"{path}: holds NaN or infinite values; clean the file first")
    return events, names


def _columns(names: list[str], wanted: list[str], path: Path) -> list[int]:
    missing = [w for w in wanted if w not in names]
    if missing:
        raise DataError(f"{path}: has no channel {', '.join(missing)}; its channels: {', '.join(names)} "
                        "(choose with dataset.channels=[...])")
    return [names.index(w) for w in wanted]


@DATASETS.register("fcs", PARAMETERS)
def load_fcs(cfg, data_dir: Path) -> Dataset:
    files = fcs_files(cfg, data_dir)
    first_events, first_names = read_fcs(files[0])
    excluded = set(cfg.get("exclude") or [])
    wanted = list(cfg.channels) if cfg.get("channels") else [n for n in first_names if n not in excluded]
    if not wanted:
        raise DataError(f"{files[0]}: no channel left after dataset.exclude; "
                        "name them with dataset.channels=[...]")
    blocks = []
    for path in files:
        events, names = (first_events, first_names) if path == files[0] else read_fcs(path)
        blocks.append(events[:, _columns(names, wanted, path)])
    X = np.concatenate(blocks)
    if cfg.get("transform", "arcsinh") == "arcsinh":
        X = np.arcsinh(X / float(cfg.cofactor))
    groups = np.repeat(np.arange(len(blocks)), [len(b) for b in blocks])
    return Dataset(name="fcs", X=X, y=np.zeros(len(X), dtype=np.int64), class_names=["unlabelled"],
                   feature_names=wanted, kind="omics", source=[str(p) for p in files], groups=groups,
                   labelled=False)
