"""hydra/launcher=processes: failures counted and refusals obeyed as with any launcher, and the
command line's choice recognised early. That its sweeps give the very bits of jobs run one after
the other, shared phases and a dead holder's claim included, is tested under both launchers in
test_shared_phases (test_jobs_side_by_side_share_it_and_a_dead_holders_claim_is_taken_over)."""

from __future__ import annotations

import pytest

from sparseae_cli.launcher import names_this_launcher

from .conftest import run_cli


def test_a_failed_job_fails_the_sweep_and_the_others_finish(tmp_path):
    sweep = tmp_path / "sweep"
    result = run_cli("train", "-m", "experiment=quick", "train.optimizer=sgd", "train.lr=1e-3,1e30",
                     "hydra/launcher=processes", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 1, result.stderr
    assert (sweep / "0" / "metrics.json").exists() and not (sweep / "0" / "FAILED").exists()
    assert "loss became" in (sweep / "1" / "FAILED").read_text() and not (sweep / "1" / "metrics.json").exists()
    assert "1 job(s) failed" in result.stderr
    assert "Launching 2 jobs on 2 local processes" in result.stdout + result.stderr


@pytest.mark.parametrize("overrides, named", [
    (["hydra/launcher=processes", "eta=1,2"], True),
    (["+hydra/launcher=processes"], True),
    (["hydra/launcher='processes'"], True),
    (["hydra/launcher=joblib"], False),
    (["~hydra/launcher=processes"], False),
    (["eta=[1"], False),  # unparsable: the override check refuses it next
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
