"""hydra/launcher=processes: the same jobs and results as Hydra's joblib launcher, failures
counted as with any launcher, and the command line's choice recognised early."""

from __future__ import annotations

import json

import pytest

from sparseae_cli.launcher import names_this_launcher

from .conftest import run_cli


def _folds(sweep, job: int) -> list:
    """Every metric and every epoch's loss of a job's folds (wall times aside)."""
    folds = json.loads((sweep / str(job) / "metrics.json").read_text())["folds"]
    return [{k: v for k, v in fold.items() if not k.endswith("time_s")} for fold in folds]


def test_a_sweep_on_forked_processes_matches_joblib_bit_for_bit(tmp_path):
    sweeps, outputs = {}, {}
    for launcher in ("processes", "joblib"):
        sweeps[launcher] = tmp_path / launcher
        result = run_cli("train", "-m", "experiment=quick", "eta=20,2000", f"hydra/launcher={launcher}",
                         "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweeps[launcher]}")
        assert result.returncode == 0, result.stderr
        outputs[launcher] = result.stdout + result.stderr
    for job in range(2):
        assert _folds(sweeps["processes"], job) == _folds(sweeps["joblib"], job)
    assert "Launching 2 jobs on 2 local processes" in outputs["processes"]


def test_a_failed_job_fails_the_sweep_and_the_others_finish(tmp_path):
    sweep = tmp_path / "sweep"
    result = run_cli("train", "-m", "experiment=quick", "train.optimizer=sgd", "train.lr=1e-3,1e30",
                     "hydra/launcher=processes", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 1, result.stderr
    assert (sweep / "0" / "metrics.json").exists() and not (sweep / "0" / "FAILED").exists()
    assert "loss became" in (sweep / "1" / "FAILED").read_text() and not (sweep / "1" / "metrics.json").exists()
    assert "1 job(s) failed" in result.stderr


@pytest.mark.parametrize("overrides, named", [
    (["hydra/launcher=processes", "eta=1,2"], True),
    (["+hydra/launcher=processes"], True),
    (["hydra/launcher=joblib"], False),
    (["hydra.launcher.n_jobs=2"], False),
    ([], False),
])
def test_the_command_line_naming_it_is_recognised(overrides, named):
    assert names_this_launcher(overrides) is named


def test_a_jobs_refusal_stops_the_sweep_with_status_2_and_starts_no_other(tmp_path):
    sweep = tmp_path / "sweep"
    first = run_cli("train", "-m", "experiment=quick", "eta=20", f"hydra.sweep.dir={sweep}")
    assert first.returncode == 0, first.stderr
    # Job 0's folder now holds a finished run of another config (eta=20): it refuses to overwrite it.
    result = run_cli("train", "-m", "experiment=quick", "eta=30,40,50", "hydra/launcher=processes",
                     "hydra.launcher.n_jobs=1", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2, result.stderr
    assert "holds a finished run of another config" in result.stderr
    assert not (sweep / "1").exists() and not (sweep / "2").exists()
