"""Double descent's phase 1, trained once per group of sweep jobs that agree on it and shared:
bit-identical to unshared runs, keyed by exactly what phase 1 reads, safe side by side."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from sparseae_cli.runner import shared_phases

from .conftest import composed, run_cli

SWEEP = ["constraint=l1,l11", "eta=20,2000"]


def _records(sweep) -> list[dict]:
    return [json.loads((sweep / str(j) / "metrics.json").read_text()) for j in range(4)]


def _weights(sweep, job: int) -> dict:
    return torch.load(sweep / str(job) / "weights_seed0_fold0.pt", weights_only=True)


def _sweep(tmp_path, name: str, *extra: str):
    sweep = tmp_path / name
    result = run_cli("train", "-m", "experiment=quick", f"hydra.sweep.dir={sweep}", *SWEEP, *extra)
    assert result.returncode == 0, result.stderr
    return sweep


def _untimed(fold: dict) -> dict:
    return {key: value for key, value in fold.items() if key != "fit_time_s"}


def _assert_same_runs(shared, alone) -> None:
    for job, (a, b) in enumerate(zip(_records(shared), _records(alone))):
        # every metric and every epoch's loss, exactly (wall times aside)
        assert [_untimed(f) for f in a["folds"]] == [_untimed(f) for f in b["folds"]]
        assert a["config_hash"] == b["config_hash"]  # sharing is not part of a run's identity
        wa, wb = _weights(shared, job), _weights(alone, job)
        assert all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """The reference: the same sweep with every job training its own phase 1 (run once)."""
    return _sweep(tmp_path_factory.mktemp("reference"), "alone", "train.share_phase1=false")


def test_a_sweep_trains_phase_1_once_and_matches_unshared_runs_bit_for_bit(tmp_path, alone):
    shared = _sweep(tmp_path, "shared")
    _assert_same_runs(shared, alone)
    reused = [r["shared_phases"]["reused"] for r in _records(shared)]
    assert sorted(map(len, reused)) == [0, 1, 1, 1]  # one job trained it, three took it
    assert all("shared_phases" not in r for r in _records(alone))


def test_jobs_side_by_side_share_it_and_a_dead_holders_claim_is_taken_over(tmp_path, alone):
    # A job killed (kill -9) while training phase 1 leaves its claim and a partial file behind.
    record = json.loads((alone / "0" / "metrics.json").read_text())
    config = {**record["config"], "train": {**record["config"]["train"], "share_phase1": True}}
    key = shared_phases(OmegaConf.create(config), config, record["data_fingerprint"], tmp_path).key
    folder = tmp_path / "parallel" / ".shared" / key
    folder.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / ".claim").write_text(f"{socket.gethostname()}:{dead.pid}\n")
    (folder / "ensemble_phase1.pt.partial").write_bytes(b"truncated")
    parallel = _sweep(tmp_path, "parallel", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    _assert_same_runs(parallel, alone)
    assert sum(not r["shared_phases"]["reused"] for r in _records(parallel)) == 1
    assert (folder / "ensemble_phase1.pt").exists() and not (folder / ".claim").exists()  # that very folder


PHASE1_INPUTS = ["train.lr=0.01", "train.epochs=3", "train.batch_size=16", "seed=1", "dataset.max_samples=200",
                 "model.hidden=[32]", "lam=0.01", "regularizer=l1", "beta=0.1", "split.folds=3",
                 "preprocess.scale=false", "train.optimizer=sgd"]
NOT_PHASE1_INPUTS = ["eta=7", "constraint=l1", "train.epochs_phase2=5", "train.rewind=false", "tag=x",
                     "eval=parts", "train.checkpoint_every=2"]


def _key(*overrides: str, fingerprint="data") -> str:
    cfg = composed(*overrides)
    return shared_phases(cfg, OmegaConf.to_container(cfg, resolve=True), fingerprint, Path("/shared")).key


@pytest.mark.parametrize("override", PHASE1_INPUTS)
def test_a_change_to_any_phase_1_input_misses_the_shared_phase(override):
    assert _key(override) != _key()


@pytest.mark.parametrize("override", NOT_PHASE1_INPUTS)
def test_keys_phase_1_does_not_read_keep_the_shared_phase(override):
    assert _key(override) == _key()


def test_changed_data_misses_the_shared_phase():
    assert _key(fingerprint="other data") != _key()
