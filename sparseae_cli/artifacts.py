"""Reading a finished run back: its config, data spec, trained members and codes."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

from .errors import UsageError
from .models import MODELS, DataSpec, Dictionary
from .records import METRICS_FILE, read_json_record


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an .npz artifact; object arrays (which would need unpickling) are refused."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError) as exc:
        raise UsageError(f"{path} is not a plain array file ({' '.join(str(exc).split())[:120]}); "
                         "rerun that run to write it again") from None


class RunArtifacts:
    def __init__(self, run_dir: str | Path) -> None:
        self.dir = Path(run_dir)
        record_path = self.dir / METRICS_FILE
        if not record_path.exists():
            raise UsageError(f"{self.dir} holds no finished run (no {METRICS_FILE}); "
                             "give the folder of a completed `sparseae train` run")
        self.record = read_json_record(record_path)
        try:
            self.cfg = OmegaConf.create(self.record["config"])
            info = self.record["dataset"]
            shape = info.get("image_shape")
            self.spec = DataSpec(info["n_features"], info["n_classes"], tuple(shape) if shape else None)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise UsageError(f"{record_path} lacks its dataset or config ({type(exc).__name__}: {exc}); "
                             "rerun that run") from None
        self.class_names = info.get("class_names") or [str(i) for i in range(self.spec.n_classes)]

    def tags(self) -> list[str]:
        return [f"seed{f['seed']}_fold{f['fold']}" for f in self.record["folds"]]

    def _tag(self, tag: str | None) -> str:
        tags = self.tags()
        if tag is None:
            return tags[0]
        if tag not in tags:
            raise UsageError(f"no member '{tag}' in {self.dir}; choose one of: {', '.join(tags)}")
        return tag

    def model(self, tag: str | None = None) -> torch.nn.Module:
        model = MODELS.get(self.cfg.model.name)(self.cfg.model, self.spec)
        path = self.dir / f"weights_{self._tag(tag)}.pt"
        try:  # weights_only: a file that needs unpickling of anything but tensors is refused
            state = torch.load(path, weights_only=True)
            model.load_state_dict(state)
        except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, KeyError, TypeError) as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
            raise UsageError(f"{path} is not a plain weights file of this run ({reason}); "
                             "rerun that run") from None
        return model.eval()

    def codes(self, tag: str | None = None) -> dict[str, np.ndarray]:
        return load_arrays(self.dir / f"codes_{self._tag(tag)}.npz")

    def dictionary(self, tag: str | None = None) -> Dictionary | None:
        path = self.dir / f"dictionary_{self._tag(tag)}.npz"
        if not path.exists():
            return None
        data = load_arrays(path)
        bias = data["bias"]
        return Dictionary(data["atoms"], bias if bias.size else None, str(data["activation"]))

    def archetypes(self, tag: str | None = None) -> tuple[np.ndarray, list[str]] | None:
        """An archetypal run's archetypes in input space (k, d) and the feature names; None for
        other runs."""
        path = self.dir / f"archetypes_{self._tag(tag)}.npz"
        if not path.exists():
            return None
        data = load_arrays(path)
        archetypes, names = data.get("archetypes"), data.get("feature_names")
        if (archetypes is None or names is None or archetypes.ndim != 2 or names.ndim != 1
                or archetypes.shape[1] != len(names) or not np.issubdtype(archetypes.dtype, np.number)):
            raise UsageError(f"{path} does not hold (k, d) archetypes with d feature names; rerun that run")
        return archetypes, [str(n) for n in names]

    def label(self) -> str:
        p = self.record["params"]
        return p.get("tag") or f"{p['model']} {p['constraint']}"

    def loss_history(self, tag: str | None = None) -> list[float]:
        """Training loss per epoch of one member, its phases in order (empty for models that
        are not trained by epochs, like the NMFs)."""
        fold = self.record["folds"][self.tags().index(self._tag(tag))]
        return [loss for phase in (fold.get("loss_history") or {}).values() for loss in phase]

    def examples(self, tag: str | None = None) -> dict[str, np.ndarray] | None:
        path = self.dir / f"examples_{self._tag(tag)}.npz"
        if not path.exists():
            return None
        return load_arrays(path)


def find_run(roots: list[str], selection: str) -> Path:
    """The one finished run below ``roots`` whose params (or dotted config keys, e.g. beta or
    regularizer.name) match ``key=value,key=value``."""
    wanted = dict(item.split("=", 1) for item in selection.split(",") if "=" in item)
    matches = []
    for root in roots:
        for path in sorted(Path(root).rglob(METRICS_FILE)):
            try:
                record = read_json_record(path)
            except UsageError:
                continue  # not a record: it cannot match
            if all(_same(_lookup(record, k), v) for k, v in wanted.items()):
                matches.append(path.parent)
    if len(matches) != 1:
        raise UsageError(f"--select {selection} matches {len(matches)} runs under "
                         f"{', '.join(roots)}; it must match exactly one")
    return matches[0]


def _lookup(record: dict, key: str):
    params = record.get("params", {})
    if key in params:
        return params[key]
    node = record.get("config", {})
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _same(value, text: str) -> bool:
    try:
        return float(value) == float(text)
    except (TypeError, ValueError):
        return str(value) == text
