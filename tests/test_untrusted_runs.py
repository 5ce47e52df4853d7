"""Run folders are input: users copy and download them. What report, figures and sample read
from one is refused in one line when it is not what sparseae wrote, and LaTeX tables print
users' labels instead of running them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from sparseae_cli.artifacts import RunArtifacts, load_arrays
from sparseae_cli.errors import UsageError
from sparseae_cli.records import MAX_RECORD_BYTES, read_json_record
from sparseae_cli.reporting.tables import latex_text, write_tables

from .conftest import assert_clean_error, run_cli


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "run"
    result = run_cli("train", "experiment=quick", f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr
    return run


def copy_of(run, tmp_path):
    import shutil

    return shutil.copytree(run, tmp_path / "copy")


def test_a_tag_that_is_latex_prints_instead_of_running(tmp_path):
    display = pd.DataFrame({"tag": [r"\input{/etc/hostname}"], "silhouette_test": ["0.300 ± 0.010"]})
    latex = write_tables(display, display, tmp_path, "t")["latex"].read_text()
    assert r"\input{" not in latex and r"\textbackslash{}input\{/etc/hostname\}" in latex
    assert r"0.300 $\pm$ 0.010" in latex and r"silhouette\_test" in latex
    assert latex_text("50% & $1 #2 ^ ~ _") == r"50\% \& \$1 \#2 \textasciicircum{} \textasciitilde{} \_"


@pytest.mark.parametrize("content, fragment", [
    ("[1, 2, 3]", "not a complete sparseae run record"),
    ('{"status": "complete"}', "not a complete sparseae run record"),
    ("{not json", "not valid JSON"),
])
def test_records_that_are_not_records_are_refused(tmp_path, content, fragment):
    path = tmp_path / "metrics.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=fragment):
        read_json_record(path)


def test_an_oversized_record_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "metrics.json"
    with open(path, "wb") as handle:
        handle.truncate(MAX_RECORD_BYTES + 1)  # sparse file: no memory, no disk
    with pytest.raises(UsageError, match="far above a run record's size"):
        read_json_record(path)


def test_pickled_weights_and_object_arrays_are_refused(finished_run, tmp_path):
    run = copy_of(finished_run, tmp_path)
    torch.save({"encoder.0.weight": torch.zeros(1), "extra": object()}, run / "weights_seed0_fold0.pt")
    with pytest.raises(UsageError, match="not a plain weights file"):
        RunArtifacts(run).model("seed0_fold0")
    np.savez(run / "codes_seed0_fold0.npz", code_train=np.array([{"a": 1}], dtype=object))
    with pytest.raises(UsageError, match="not a plain array file"):
        load_arrays(run / "codes_seed0_fold0.npz")
    assert_clean_error(run_cli("sample", str(run), "n=2"), 2, "not a plain")


def test_a_record_without_its_config_is_one_line_and_report_skips_it(finished_run, tmp_path):
    run = copy_of(finished_run, tmp_path)
    record = json.loads((run / "metrics.json").read_text())
    del record["dataset"]
    (run / "metrics.json").write_text(json.dumps(record))
    assert_clean_error(run_cli("sample", str(run), "n=2"), 2, "not a complete sparseae run record")
    report = run_cli("report", str(tmp_path))
    assert report.returncode == 2 and "skipped 1 unreadable metrics.json" in report.stderr


def test_output_folders_that_are_links_are_refused(finished_run, tmp_path):
    run = copy_of(finished_run, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (run / "figures").symlink_to(elsewhere, target_is_directory=True)
    (run / "samples").symlink_to(elsewhere, target_is_directory=True)
    assert_clean_error(run_cli("figures", str(run)), 2, "figures is a symbolic link")
    assert_clean_error(run_cli("sample", str(run), "n=2"), 2, "samples is a symbolic link")
    (run / "report").symlink_to(elsewhere, target_is_directory=True)
    assert_clean_error(run_cli("report", str(run)), 2, "report is a symbolic link")
    assert not list(elsewhere.iterdir())  # nothing was written through the links


def test_a_linked_job_folder_is_named_not_silently_dropped(finished_run, tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    copy_of(finished_run, sweep)
    (sweep / "linked").symlink_to(finished_run, target_is_directory=True)
    report = run_cli("report", str(sweep), "--out", str(tmp_path / "r"))
    assert report.returncode == 0, report.stderr
    assert f"left out 1 linked folder(s), not followed: {sweep / 'linked'}" in report.stderr
