"""Resumable training: a run killed mid-way and started again ends exactly where an
uninterrupted run ends, for one model and for a stacked ensemble, in either phase."""

from __future__ import annotations

import json

import pytest
import torch

from sparseae_cli.models import MODELS, DataSpec
from sparseae_cli.training.checkpoint import Checkpoint
from sparseae_cli.training.constrained import ConstrainedParameters
from sparseae_cli.training.ensemble import StackedBatches, stack_models
from sparseae_cli.training.loop import Batches
from sparseae_cli.training.schedules import fit

from .conftest import assert_clean_error, run_cli
from .test_supervised_ae import model_cfg, toy_data, train_cfg


class Killed(Exception):
    """Stands in for a kill signal or a cluster's preemption."""


def counting_penalty(kill_after: int | None):
    """A zero penalty that counts training steps and raises Killed after ``kill_after`` of them."""
    calls = {"n": 0}

    def penalty(batch, outputs, ctx):
        calls["n"] += 1
        if kill_after is not None and calls["n"] > kill_after:
            raise Killed
        return None

    return penalty, calls


def one_model():
    torch.manual_seed(0)
    model = MODELS.get("supervised_ae")(model_cfg(), DataSpec(12, 3))
    X, y = toy_data(n=64)
    return model, Batches({"x": X, "y": y}, 16, torch.Generator().manual_seed(0)), ConstrainedParameters(
        model, "l11", 4.0, ["encoder.0.weight"])


def stacked_models():
    X, y = toy_data(n=70)
    sets = [{"x": X[:50], "y": y[:50]}, {"x": X[20:69], "y": y[20:69]}]
    members = []
    for seed in range(2):
        torch.manual_seed(seed)
        members.append(MODELS.get("supervised_ae")(model_cfg(), DataSpec(12, 3)))
    stacked = stack_models(members)
    gens = [torch.Generator().manual_seed(s) for s in range(2)]
    return stacked, StackedBatches(sets, 8, gens), ConstrainedParameters(
        stacked, "l11", 4.0, ["encoder.0.weight"], stacked=True)


@pytest.mark.parametrize("build", [one_model, stacked_models], ids=["one model", "stacked"])
@pytest.mark.parametrize("schedule, kill_epoch, epochs_skipped", [
    ("double_descent", 2.5, 2),      # killed in phase 1's 3rd epoch: resumes after its 2nd
    ("double_descent", 8.5, 5 + 2),  # in phase 2's 4th epoch: phase 1 is not trained again
    ("projected_gradient", 4.5, 4),
])
def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path, build, schedule, kill_epoch, epochs_skipped):
    cfg = train_cfg(schedule=schedule, epochs=5, epochs_phase2=5)
    reference_model, batches, cons = build()
    steps_per_epoch = len(batches)
    reference = fit(reference_model, batches, cfg, cons, penalty=counting_penalty(None)[0])

    checkpoint = Checkpoint(tmp_path / "run", every=2, config_hash="abc")
    model, batches, cons = build()
    with pytest.raises(Killed):
        fit(model, batches, cfg, cons, penalty=counting_penalty(int(kill_epoch * steps_per_epoch))[0],
            checkpoint=checkpoint)

    model, batches, cons = build()  # a fresh process: same seeds, nothing in memory
    penalty, calls = counting_penalty(None)
    resumed = fit(model, batches, cfg, cons, penalty=penalty, checkpoint=checkpoint)

    assert resumed.history == reference.history
    for name, mask in reference.masks.items():
        assert torch.equal(resumed.masks[name], mask)
    for (name, a), b in zip(reference_model.named_parameters(), model.parameters()):
        assert torch.equal(a, b), name
    total_epochs = 10 if schedule == "double_descent" else 5
    assert calls["n"] == (total_epochs - epochs_skipped) * steps_per_epoch  # only what was lost


def test_checkpoint_of_another_config_is_ignored(tmp_path):
    cfg = train_cfg(schedule="plain", epochs=4)
    model, batches, cons = one_model()
    fit(model, batches, cfg, cons, checkpoint=Checkpoint(tmp_path / "run", every=2, config_hash="old"))
    model, batches, cons = one_model()
    penalty, calls = counting_penalty(None)
    fit(model, batches, cfg, cons, penalty=penalty, checkpoint=Checkpoint(tmp_path / "run", 2, "new"))
    assert calls["n"] == 4 * len(batches)  # trained from epoch 0


def test_run_keeps_no_checkpoint_once_finished_and_refuses_a_corrupt_one(tmp_path, quick):
    result = run_cli("train", *quick, "train.checkpoint_every=1")
    assert result.returncode == 0, result.stderr
    run = tmp_path / "run"
    assert json.loads((run / "metrics.json").read_text())["status"] == "complete"
    assert not (run / "checkpoints").exists()

    other = tmp_path / "other"
    (other / "checkpoints").mkdir(parents=True)
    (other / "checkpoints" / "ensemble_phase1.pt").write_bytes(b"not a checkpoint")
    bad = run_cli("train", "experiment=quick", f"hydra.run.dir={other}", "train.checkpoint_every=1")
    assert_clean_error(bad, 2, "delete it")
    assert not (other / "metrics.json").exists()


def test_checkpoint_every_must_be_a_count(tmp_path, quick):
    result = run_cli("train", *quick, "train.checkpoint_every=-1")
    assert_clean_error(result, 2, "train.checkpoint_every")


def test_artifacts_are_written_whole_or_not_at_all(tmp_path):
    """A write that dies midway (a kill, a full disk) leaves the previous file and no debris."""
    import numpy as np

    from sparseae_cli.records import UMASK, write_atomic
    from sparseae_cli.runner import save_arrays

    target = tmp_path / "codes_seed0_fold0.npz"
    save_arrays(target, code=np.arange(3))

    def dies_midway(tmp):
        tmp.write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, dies_midway)
    with np.load(target) as data:
        assert data["code"].tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    assert target.stat().st_mode & 0o777 == 0o666 & ~UMASK  # as a plain open() makes it, not mkstemp's 0600
