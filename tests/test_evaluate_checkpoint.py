"""``sparseae evaluate``: an unfinished run's last checkpoint evaluates exactly as the finished
run of that many epochs would, and leaves the unfinished run alone."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from sparseae_cli import runner
from sparseae_cli.cli import conf_dir
from sparseae_cli.errors import UsageError
from sparseae_cli.evaluate_command import evaluate_checkpoint
from sparseae_cli.training import loop

from .conftest import assert_clean_error, run_cli, run_cli_here

# Two folds trained as one stacked ensemble, projected gradient: one checkpoint file.
STACKED = ["train=projected_gradient", "constraint=l11", "eta=50", "split.folds=2", "train.batch_size=64",
           "train.checkpoint_every=2", "eval.metrics=[silhouette,classification,reconstruction,sparsity]"]
# Two folds trained one after the other: a checkpoint file each.
SEQUENTIAL = ["model=shallow_ae", "constraint=nonneg", "regularizer=kl", "p=0.05", "beta=0.01",
              "split.folds=2", "train.batch_size=64", "train.checkpoint_every=2", "eval.metrics=[reconstruction]"]


class Killed(Exception):
    """Stands in for a kill signal or a cluster's preemption."""


def config(*overrides: str):
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def kill_run(run_dir, cfg, monkeypatch, epoch: int, times: int = 1) -> None:
    """Run ``cfg`` and kill it the ``times``-th time a training loop finishes ``epoch`` epochs."""
    real, seen = loop.has_converged, {"n": 0}

    def has_converged(history, tol, window):
        if len(history) == epoch:
            seen["n"] += 1
            if seen["n"] == times:
                raise Killed
        return real(history, tol, window)

    run_dir.mkdir()
    with monkeypatch.context() as patch:
        patch.setattr(loop, "has_converged", has_converged)
        with pytest.raises(Killed):
            runner.run(cfg, run_dir)
    assert not (run_dir / "metrics.json").exists()


@pytest.fixture
def killed_run(tmp_path, monkeypatch):
    """A 6-epoch run killed during epoch 6: its last checkpoint holds epoch 4."""
    kill_run(tmp_path / "killed", config(*STACKED, "train.epochs=6"), monkeypatch, epoch=5)
    return tmp_path / "killed"


def test_a_checkpoint_evaluates_as_the_run_of_that_many_epochs(tmp_path, killed_run):
    files = sorted((killed_run / "checkpoints").glob("*.pt"))
    assert [f.name for f in files] == ["ensemble_projected.pt"]
    before = {f.name: f.read_bytes() for f in files}

    record = evaluate_checkpoint(killed_run, tmp_path / "at_checkpoint")
    reference_dir = tmp_path / "four_epochs"
    reference_dir.mkdir()
    reference = runner.run(config(*STACKED, "train.epochs=4"), reference_dir)

    assert record["checkpoint_of"]["epochs"] == 4 and record["checkpoint_of"]["budget"] == 6
    assert record["config"]["train"]["epochs"] == 4
    assert record["config_hash"] == reference["config_hash"]
    for ours, theirs in zip(record["folds"], reference["folds"]):
        assert ours["loss_history"] == theirs["loss_history"]
        for key in ("mse", "silhouette_test", "accuracy", "weight_sparsity"):
            assert ours[key] == pytest.approx(theirs[key], rel=1e-6, abs=1e-9), key
    ours = torch.load(tmp_path / "at_checkpoint" / "weights_seed0_fold1.pt", weights_only=True)
    theirs = torch.load(reference_dir / "weights_seed0_fold1.pt", weights_only=True)
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    # The unfinished run is untouched and still resumes; the copies are gone.
    assert {f.name: f.read_bytes() for f in files} == before
    assert not (tmp_path / "at_checkpoint" / "checkpoints").exists()
    saved = json.loads((tmp_path / "at_checkpoint" / "metrics.json").read_text())
    assert saved["status"] == "complete" and saved["checkpoint_of"]["epochs"] == 4


def test_the_command_evaluates_every_checkpointed_job_of_a_sweep(tmp_path, killed_run):
    sweep = killed_run.parent / "sweep"
    sweep.mkdir()
    killed_run.rename(sweep / "0")
    result = run_cli("evaluate", str(sweep), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "at epoch 4 of 6" in result.stdout
    assert (tmp_path / "out" / "metrics.json").exists()


def test_refusals_are_one_line_errors(tmp_path, killed_run, capsys):
    out = str(tmp_path / "out")
    assert_clean_error(run_cli("evaluate", str(killed_run)), 2, "--out")  # as a user runs it

    def here(*args):  # the other refusals in this process: milliseconds instead of 3 s each
        return run_cli_here(capsys, "evaluate", *args)

    assert_clean_error(here(str(killed_run), "--out", str(killed_run)), 2, "must differ")
    assert_clean_error(here(str(tmp_path / "nowhere"), "--out", out), 2, "not a folder")
    twin = tmp_path / "elsewhere" / killed_run.name
    twin.parent.mkdir()
    shutil.copytree(killed_run, twin)
    assert_clean_error(here(str(killed_run), str(twin), "--out", out), 2, "share a folder name")

    cfg = OmegaConf.load(killed_run / "config_resolved.yaml")
    cfg.beta = 0.5  # the checkpoints now belong to another config
    OmegaConf.save(cfg, killed_run / "config_resolved.yaml")
    assert_clean_error(here(str(killed_run), "--out", out), 2, "another config")

    for name in [f.name for f in (killed_run / "checkpoints").glob("*.pt")]:
        (killed_run / "checkpoints" / name).rename(killed_run / "checkpoints" / "ensemble_phase1.pt")
    assert_clean_error(here(str(killed_run), "--out", out), 2, "double descent")

    finished = tmp_path / "finished"
    (finished / "checkpoints").mkdir(parents=True)
    (finished / "config_resolved.yaml").write_text((killed_run / "config_resolved.yaml").read_text())
    assert_clean_error(here(str(finished), "--out", out), 2, "no checkpoints")


def test_members_at_different_epochs_are_refused(tmp_path, monkeypatch):
    """Fold 0 finished its 6 epochs, fold 1 was killed after 4: no single budget describes them."""
    run_dir = tmp_path / "killed"
    kill_run(run_dir, config(*SEQUENTIAL, "train.epochs=6"), monkeypatch, epoch=5, times=2)
    assert len(list((run_dir / "checkpoints").glob("*.pt"))) == 2
    with pytest.raises(UsageError, match="different epochs"):
        evaluate_checkpoint(run_dir, tmp_path / "out")


def test_data_locations_come_from_the_user_not_from_the_run_folder(tmp_path, killed_run):
    cfg = OmegaConf.load(killed_run / "config_resolved.yaml")
    cfg.data_dir = str(tmp_path / "crafted" / "data")  # a copied folder names any location
    OmegaConf.save(cfg, killed_run / "config_resolved.yaml")
    mine = tmp_path / "mine"
    result = run_cli("evaluate", str(killed_run), "--out", str(tmp_path / "out"), "--data-dir", str(mine))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "crafted").exists()
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["config"]["data_dir"] == str(mine.resolve())
    cfg.dataset.path = "/etc/hostname"
    OmegaConf.save(cfg, killed_run / "config_resolved.yaml")
    again = run_cli("evaluate", str(killed_run), "--out", str(tmp_path / "again"), "--data-dir", str(mine))
    assert_clean_error(again, 2, "dataset.path=/etc/hostname", "outside the data directory")
