"""Double descent's phases, trained once per group of sweep jobs that agree on them and shared:
bit-identical to unshared runs, keyed by exactly what each phase reads, safe side by side.
Phase 1 is shared across radii and constraints; phase 2 across the jobs whose masks and start
weights agree too (here eta=2000, which binds neither l1 nor l1,1)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from sparseae_cli.models import MODELS, DataSpec
from sparseae_cli.runner import shared_phases
from sparseae_cli.training.schedules.double_descent import phase2_start

from .conftest import composed, run_cli

SWEEP = ["constraint=l1,l11", "eta=20,2000"]


def _records(sweep) -> list[dict]:
    return [json.loads((sweep / str(j) / "metrics.json").read_text()) for j in range(4)]


def _weights(sweep, job: int, kind: str = "weights") -> dict:
    return torch.load(sweep / str(job) / f"{kind}_seed0_fold0.pt", weights_only=True)


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
    """The reference: the same sweep with every job training both its phases (run once)."""
    return _sweep(tmp_path_factory.mktemp("reference"), "alone", "train.share_phase1=false",
                  "train.share_phase2=false")


def _reused(sweep) -> list[list[str]]:
    return [r["shared_phases"]["reused"] for r in _records(sweep)]


def test_a_sweep_trains_each_phase_once_and_matches_unshared_runs_bit_for_bit(tmp_path, alone):
    shared = _sweep(tmp_path, "shared")
    _assert_same_runs(shared, alone)
    # jobs: (l1, 20), (l1, 2000), (l11, 20), (l11, 2000); phase 1 trained by one job, taken by three
    assert sum("ensemble_phase1.pt" in r for r in _reused(shared)) == 3
    # phase 2: the two jobs whose radius binds nothing start from the same masks and weights
    # (all ones), so the second of them, job 3, takes job 1's phase 2
    for job in (1, 3):
        assert all(mask.all() for mask in _weights(alone, job, "masks").values())
    assert [job for job, r in enumerate(_reused(shared)) if "ensemble_phase2.pt" in r] == [3]
    files = sorted(p.name for p in (shared / ".shared").glob("*/*.pt"))
    assert files == ["ensemble_phase1.pt"] + ["ensemble_phase2.pt"] * 3  # one phase 1, three phase 2
    for file in (shared / ".shared").glob("*/*.pt"):  # finished phases are only ever reused
        assert torch.load(file, weights_only=True)["optimizer"] is None
    assert all("shared_phases" not in r for r in _records(alone))


def test_phase_1_alone_is_shared_with_share_phase2_off(tmp_path, alone):
    shared = _sweep(tmp_path, "phase1_only", "train.share_phase2=false")
    _assert_same_runs(shared, alone)
    assert sorted(map(len, _reused(shared))) == [0, 1, 1, 1]
    assert not any("ensemble_phase2.pt" in r for r in _reused(shared))


@pytest.mark.parametrize("launcher", ["joblib", "processes"])
def test_jobs_side_by_side_share_it_and_a_dead_holders_claim_is_taken_over(tmp_path, alone, launcher):
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
    parallel = _sweep(tmp_path, "parallel", f"hydra/launcher={launcher}", "hydra.launcher.n_jobs=2")
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


def _phase2_key(train_overrides=(), mask_zeros=0, nudge=0.0) -> str:
    cfg = composed("experiment=quick", *train_overrides)
    torch.manual_seed(0)
    model = MODELS.get(cfg.model.name)(cfg.model, DataSpec(8, 3, None))
    weight = model.get_parameter("encoder.0.weight")
    mask = torch.ones_like(weight, dtype=torch.bool)
    mask.view(-1)[:mask_zeros] = False
    with torch.no_grad():
        weight.view(-1)[-1] += nudge
    return phase2_start(model, {"encoder.0.weight": mask}, cfg.train)


@pytest.mark.parametrize("change", [{"mask_zeros": 1}, {"nudge": 1e-6}, {"train_overrides": ["train.lr=0.02"]},
                                    {"train_overrides": ["train.epochs_phase2=3"]}])
def test_phase_2_is_keyed_by_its_masks_start_weights_and_training_keys(change):
    assert _phase2_key(**change) != _phase2_key()


def test_phase_2_key_ignores_keys_that_change_no_computation():
    assert _phase2_key(["train.share_phase1=false", "train.compile_optimizer=true"]) == _phase2_key()
