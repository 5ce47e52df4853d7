"""The real command, end to end: runs per dataset kind, sweeps, reports, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from sparseae_cli.errors import INTERRUPTED

from .conftest import assert_clean_error, needs_shared, run_cli
from .test_datasets import write_omics


def record_of(run_dir):
    return json.loads((run_dir / "metrics.json").read_text())


def test_help_lists_commands_and_groups():
    result = run_cli("--help")
    assert result.returncode == 0
    for text in ("train", "report", "constraint", "l1inf", "synthetic", "supervised_ae"):
        assert text in result.stdout


def test_help_and_version_import_neither_torch_nor_hydra():
    """--help answers at once: it reads the config tree, and nothing heavy is imported."""
    code = ("import sys; from sparseae_cli import cli; cli.usage(); cli.version(); "
            "print(sorted(m for m in ('torch', 'hydra', 'sklearn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("sparseae ")


def test_help_into_a_closed_pipe_exits_quietly():
    """`sparseae -h | head -2`: the reader leaves early; no BrokenPipeError traceback."""
    process = subprocess.Popen([sys.executable, "-c", "from sparseae_cli.cli import main; main()", "-h"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before anything is written
    assert process.wait() == 0
    assert process.stderr.read() == b""


def test_default_dataset_run_writes_every_artifact(tmp_path, quick):
    result = run_cli("train", *quick, "constraint=l11", "eta=30")
    assert result.returncode == 0, result.stderr
    run = tmp_path / "run"
    record = record_of(run)
    assert record["status"] == "complete" and record["params"]["dataset"] == "digits"
    assert len(record["folds"]) == 2 and len(record["config_hash"]) == 16
    assert {"silhouette_test", "accuracy", "roc_auc", "weight_sparsity"} <= set(record["summary"])
    assert record["versions"]["torch"] and record["device"] in ("cpu", "cuda")
    weights = torch.load(run / "weights_seed0_fold0.pt", weights_only=True)
    masks = torch.load(run / "masks_seed0_fold0.pt", weights_only=True)
    assert torch.all(weights["encoder.0.weight"][~masks["encoder.0.weight"]] == 0)
    codes = np.load(run / "codes_seed0_fold0.npz")
    assert codes["code_test"].shape[1] == 10
    assert (run / ".hydra" / "config.yaml").exists() and (run / "sparseae.log").exists()
    assert "eta: 30" in (run / "config_resolved.yaml").read_text()
    assert "silhouette_test" in result.stdout  # the closing summary


def test_synthetic_omics_run(tmp_path, quick):
    result = run_cli("train", *quick, "dataset=synthetic", "dataset.n_features=60",
                     "dataset.n_samples=80", "constraint=l11", "eta=5")
    assert result.returncode == 0, result.stderr
    record = record_of(tmp_path / "run")
    assert record["dataset"]["n_features"] == 60
    assert record["summary"]["features_kept"]["mean"] < 60


def test_omics_csv_run(tmp_path, quick):
    rng = np.random.default_rng(0)
    write_omics(tmp_path / "table.csv", rng.normal(size=(40, 30)), [1, 2] * 20)
    result = run_cli("train", *quick, "dataset=omics_csv", f"dataset.path={tmp_path / 'table.csv'}",
                     "constraint=l1inf", "eta=2")
    assert result.returncode == 0, result.stderr
    assert record_of(tmp_path / "run")["dataset"]["n_classes"] == 2


def test_constrained_decoder_on_feature_data_counts_no_features(tmp_path, quick):
    # A non-negative decoder's columns are code units, not the 64 input features: the run must
    # finish, report its weight sparsity, and claim no features kept.
    result = run_cli("train", *quick, "model=shallow_ae", "constraint=nonneg", "regularizer=kl",
                     "p=0.05", "beta=0.001")
    assert result.returncode == 0, result.stderr
    summary = record_of(tmp_path / "run")["summary"]
    assert "weight_sparsity" in summary and "features_kept" not in summary
    assert "nonneg:" in result.stdout and " eta=" not in result.stdout


@needs_shared("ohlson", "Olsson.csv")
def test_ohlson_run(tmp_path, quick, data_dir):
    result = run_cli("train", *quick, "dataset=ohlson", "constraint=l1", "eta=1000",
                     f"data_dir={data_dir}")
    assert result.returncode == 0, result.stderr
    assert record_of(tmp_path / "run")["dataset"]["n_classes"] == 9


@needs_shared("mnist", "train-images-idx3-ubyte.gz")
def test_mnist_subset_run(tmp_path, quick, data_dir):
    result = run_cli("train", *quick, "dataset=mnist", "dataset.max_samples=1500",
                     "model.arch=lenet", f"data_dir={data_dir}")
    assert result.returncode == 0, result.stderr
    record = record_of(tmp_path / "run")
    assert len(record["folds"]) == 1  # the official split


@needs_shared("cifar10", "cifar-10-batches-bin", "test_batch.bin")
def test_cifar_grayscale_subset_run(tmp_path, quick, data_dir):
    result = run_cli("train", *quick, "dataset=cifar10", "dataset.grayscale=true",
                     "dataset.max_samples=800", f"data_dir={data_dir}")
    assert result.returncode == 0, result.stderr
    assert record_of(tmp_path / "run")["dataset"]["n_features"] == 1024


def test_multirun_and_report(tmp_path, quick):
    result = run_cli("train", "-m", *quick, "constraint=l1,l11", "eta=20,2000")
    assert result.returncode == 0, result.stderr
    sweep = tmp_path / "sweep"
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert jobs == ["0", "1", "2", "3"]  # beside .shared, the phase 1 the jobs shared
    report = run_cli("report", str(sweep), "--by", "constraint,eta")
    assert report.returncode == 0, report.stderr
    csv = (sweep / "report" / "report.csv").read_text()
    assert csv.splitlines()[0] == "constraint,eta,metric,mean,std,n"
    import pandas as pd

    table = pd.read_csv(sweep / "report" / "report.csv")
    acc = table[(table.metric == "accuracy")]
    assert len(acc) == 4 and (acc["n"] == 2).all()
    # The report's mean equals the mean of the per-fold values in metrics.json.
    rec = record_of(sweep / "0")
    folds = [f["accuracy"] for f in rec["folds"]]
    row = acc[(acc.constraint == rec["params"]["constraint"]) & (acc.eta == rec["params"]["eta"])]
    assert row["mean"].item() == pytest.approx(np.mean(folds))
    assert row["std"].item() == pytest.approx(np.std(folds, ddof=1))
    assert "\\begin{tabular}" in (sweep / "report" / "report.tex").read_text()
    assert "± " in (sweep / "report" / "report.md").read_text()
    # Without --by the report groups by the keys that vary across the runs, and says which.
    grouped = run_cli("report", str(sweep), "--out", str(tmp_path / "grouped"))
    assert grouped.returncode == 0, grouped.stderr
    assert "grouped by constraint.name, eta" in grouped.stderr
    assert len(pd.read_csv(tmp_path / "grouped" / "report.csv").query("metric == 'accuracy'")) == 4


def test_joblib_launcher_runs_jobs_in_one_sweep_dir(tmp_path, quick):
    result = run_cli("train", "-m", *quick, "eta=20,2000", "hydra/launcher=joblib",
                     "hydra.launcher.n_jobs=2")
    assert result.returncode == 0, result.stderr
    assert all((tmp_path / "sweep" / str(i) / "metrics.json").exists() for i in range(2))


def test_sweeps_started_together_get_distinct_directories(tmp_path):
    procs = [run_cli("train", "-m", "experiment=quick", "train.epochs=0", "train.epochs_phase2=0",
                     "eta=10,20", cwd=tmp_path) for _ in range(2)]
    assert all(p.returncode == 0 for p in procs), procs[0].stderr
    sweeps = list((tmp_path / "outputs" / "multirun").glob("*/*"))
    assert len(sweeps) == 2


def test_cfg_job_prints_the_composed_config():
    result = run_cli("train", "--cfg", "job", "constraint=l21", "eta=7")
    assert result.returncode == 0, result.stderr
    assert "name: l21" in result.stdout and "eta: 7" in result.stdout
    assert "${" not in result.stdout  # resolved: the values the run uses, not oc.select formulas


# Bad commands and the fragments their one-line refusal must hold (docs/bad_input.md lists them).
BAD_COMMANDS = [
        # Through the real command: exit status 2, one line, no traceback, nothing written. The value
        # checks made before any work are tested in process too (test_params.BAD_VALUES, which holds
        # most of them); these are the ones that need the whole command, and a few representatives.
        (["eta=0"], ["eta must be > 0"]),
        (["foo=1"], ["unknown config key 'foo'", "eta"]),
        # Near misses name the closest key or choice (difflib), wherever it lives.
        (["model=supervisd_ae"], ["unknown model 'supervisd_ae'", "did you mean 'supervised_ae'?"]),
        (["-m", "eta=10,-1"], ["eta must be > 0"]),
        (["model.latent_dim=3"], ["latent_dim=3", "10 class logits"]),
        (["dataset=lung", "data_dir=/nonexistent"], ["LUNG.csv", "/nonexistent"]),
        (["dataset=ohlson", "dataset.download=false", "data_dir=/nonexistent"], ["Olsson.csv"]),
        # Constraints declared next to each plug-in's own code (validation.py names none of them).
        (["regularizer=kl", "regularizer.on=decoder"], ["regularizer.on=decoder", "code, logits"]),
        # Values that used to reach the run unchecked (more in test_params, in process).
        (["dataset.max_samples=1"], ["digits: its samples hold 1 class", "at least two"]),
        # A bad value inside an experiment's own grid stops the sweep before its first job.
        (["experiment=parts_fashion_table1", "hydra.sweeper.params.beta='0.001,-0.5'"],
         ["beta must be >= 0", "-0.5"]),
        (["experiment=parts_fashion_table1", "parts_setting=sparse_nmf,unconstrained"],
         ["parts_setting=sparse_nmf sets the sweep itself", "run each parts_setting on its own"]),
        (["hydra.sweeper.params.eta=1,2"], ["quote the value", "hydra.sweeper.params.eta='1,2'"]),
        (["-m", "eta=1,2", "hydra/launcher=processes", "hydra.launcher.n_jobs=0"],
         ["hydra.launcher.n_jobs=0", "-1 for one per core"]),
        (["dataset=h5ad", "model=saucie"], ["dataset=h5ad needs dataset.path=/path/to/cells.h5ad"]),
]


@pytest.mark.parametrize("args, fragments", BAD_COMMANDS)
def test_bad_input_exits_2_with_one_line(tmp_path, args, fragments):
    flags = [a for a in args if a.startswith("-")]
    overrides = [a for a in args if not a.startswith("-")]
    result = run_cli("train", *flags, f"hydra.run.dir={tmp_path}/r", f"hydra.sweep.dir={tmp_path}/s",
                     *overrides)
    assert_clean_error(result, 2, *fragments)
    assert not list(tmp_path.rglob("metrics.json"))


def test_malformed_csv_is_bad_input(tmp_path, quick):
    bad = tmp_path / "bad.csv"
    bad.write_text("Name;a;b\nLabel;1;2\nf1;1,0;oops\n")
    result = run_cli("train", *quick, "dataset=omics_csv", f"dataset.path={bad}")
    assert_clean_error(result, 2, "bad.csv", "row 3", "oops")


def test_nan_loss_exits_1_and_leaves_no_record(tmp_path, quick):
    result = run_cli("train", *quick, "train.lr=1e30", "train.optimizer=sgd", "lam=1e30")
    assert_clean_error(result, 1, "loss became")
    assert not (tmp_path / "run" / "metrics.json").exists()
    assert (tmp_path / "run" / "FAILED").exists()


def test_failed_job_in_a_sweep_exits_1_but_keeps_the_others(tmp_path, quick):
    result = run_cli("train", "-m", *quick, "train.optimizer=sgd", "lam=0.001,1e38")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "sweep" / "0" / "metrics.json").exists()
    assert (tmp_path / "sweep" / "1" / "FAILED").exists()
    assert "1 job(s) failed" in result.stderr


def test_report_errors_are_clean(tmp_path):
    assert_clean_error(run_cli("report", str(tmp_path)), 2, "no completed runs")
    assert_clean_error(run_cli("report"), 2, "report:")
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "metrics.json").write_text("{ not json")
    assert_clean_error(run_cli("report", str(tmp_path)), 2, "no completed runs")


def test_misplaced_flag_is_a_clean_usage_error():
    assert_clean_error(run_cli("train", "eta=3", "-m", "eta=4"), 2, "unrecognized arguments")


def test_unknown_command():
    assert_clean_error(run_cli("trian"), 2, "unknown command 'trian'", "train")


def test_report_unknown_by_key(tmp_path, quick):
    assert run_cli("train", *quick).returncode == 0
    assert_clean_error(run_cli("report", str(tmp_path / "run"), "--by", "colour"), 2, "colour")


def test_rerun_of_an_interrupted_sweep_runs_only_the_missing_jobs(tmp_path, quick):
    args = ["train", "-m", *quick, "eta=20,200,2000"]
    assert run_cli(*args).returncode == 0
    sweep = tmp_path / "sweep"
    kept = (sweep / "0" / "metrics.json").stat().st_mtime_ns
    (sweep / "1" / "metrics.json").unlink()  # as if the sweep had stopped there
    (sweep / "2" / "metrics.json").write_text('{"status": "complete", "config_hash": "other"}')
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("skipped, already complete") == 1
    assert (sweep / "0" / "metrics.json").stat().st_mtime_ns == kept
    assert record_of(sweep / "1")["params"]["eta"] == 200
    assert record_of(sweep / "2")["config_hash"] != "other"


def test_an_output_folder_that_is_a_file_or_under_one_is_refused(tmp_path):
    afile = tmp_path / "taken"
    afile.write_text("not a folder")
    assert_clean_error(run_cli("train", f"hydra.run.dir={afile}"), 2, f"hydra.run.dir={afile} is a file")
    assert_clean_error(run_cli("train", "-m", "eta=1,2", f"hydra.sweep.dir={afile / 'sweep'}"), 2,
                       f"{afile} is a file", "choose a folder")
    assert afile.read_text() == "not a folder"
    unwritable = "/proc/sparseae-run"  # not writable even by root
    assert_clean_error(run_cli("train", f"hydra.run.dir={unwritable}"), 2,
                       f"hydra.run.dir={unwritable} cannot be written")


def test_ctrl_c_ends_with_one_line_exit_130_and_a_resumable_folder(tmp_path):
    import signal
    import time

    run = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-c", "from sparseae_cli.cli import main; main()", "train", "experiment=quick",
         "train.epochs=100000", f"hydra.run.dir={run}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal
    log = run / "sparseae.log"
    deadline = time.time() + 120
    while time.time() < deadline and not (log.exists() and "stacked ensemble" in log.read_text()):
        time.sleep(0.5)  # interrupt once training has started
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines() == [f"sparseae: {INTERRUPTED}"]
    assert (run / "FAILED").read_text().splitlines() == [INTERRUPTED, "exit status 130"]
    assert not (run / "metrics.json").exists()


def test_experimental_rerun_is_refused(tmp_path):
    pickle = tmp_path / "config.pickle"
    pickle.write_bytes(b"not unpickled")
    assert_clean_error(run_cli("train", "--experimental-rerun", str(pickle)), 2,
                       "--experimental-rerun unpickles its file", "overrides")


def test_a_stale_failed_file_does_not_fail_a_later_sweep(tmp_path, quick):
    stale = tmp_path / "sweep" / "7"
    stale.mkdir(parents=True)
    (stale / "FAILED").write_text("an earlier sweep's failure\nexit status 1\n")
    os.utime(stale / "FAILED", (0, 0))
    result = run_cli("train", "-m", *quick, "eta=100,200")
    assert result.returncode == 0, result.stderr
    assert "failed" not in result.stderr


def test_a_metrics_json_that_is_not_an_object_is_not_a_finished_run(tmp_path, quick):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text("[1, 2, 3]")
    result = run_cli("train", *quick)
    assert result.returncode == 0, result.stderr
    assert json.loads((run / "metrics.json").read_text())["status"] == "complete"


def test_a_finished_run_of_another_config_is_never_overwritten(tmp_path, quick):
    assert run_cli("train", "-m", *quick, "eta=100,200").returncode == 0
    job = tmp_path / "sweep" / "0"
    before = (job / "metrics.json").read_bytes()
    result = run_cli("train", "-m", *quick, "eta=200,400")  # numbered jobs: job 0 would be eta=200
    assert_clean_error(result, 2, f"{job} holds a finished run of another config", "never overwritten",
                       "hydra.sweep.dir")
    assert (job / "metrics.json").read_bytes() == before and not (job / "FAILED").exists()
    assert record_of(job)["params"]["eta"] == 100


def test_a_finished_run_on_data_that_changed_since_is_neither_skipped_nor_overwritten(tmp_path, quick):
    table = tmp_path / "table.csv"
    write_omics(table, np.random.default_rng(0).normal(size=(40, 30)), [1, 2] * 20)
    args = ["train", *quick, "dataset=omics_csv", f"dataset.path={table}", "constraint=l1", "eta=2"]
    assert run_cli(*args).returncode == 0
    run = tmp_path / "run"
    before = (run / "metrics.json").read_bytes()
    assert len(record_of(run)["data_fingerprint"]) == 16
    again = run_cli(*args)
    assert again.returncode == 0 and "skipped, already complete with the same config and data" in again.stdout
    write_omics(table, np.random.default_rng(1).normal(size=(40, 30)), [1, 2] * 20)  # same shape, new values
    assert_clean_error(run_cli(*args), 2, "holds a finished run of this config on other data", "never overwritten")
    assert (run / "metrics.json").read_bytes() == before


def test_the_bad_input_table_lists_every_refusal_the_tests_check():
    from pathlib import Path

    from .test_params import BAD_VALUES

    table = (Path(__file__).resolve().parents[1] / "docs" / "bad_input.md").read_text()
    missing = [args for args, _ in BAD_VALUES + BAD_COMMANDS
               if f"`sparseae train {' '.join(args)}`" not in table]
    assert not missing, f"regenerate docs/bad_input.md (python scripts/bad_input_table.py): {missing}"


def test_a_papers_published_values_are_not_part_of_a_runs_identity():
    from omegaconf import OmegaConf

    from sparseae_cli import records

    from .conftest import composed

    config = OmegaConf.to_container(composed("experiment=pyle_mnist"), resolve=True)
    edited = {**config, "paper": {**config["paper"], "title": "edited"}}
    assert records.config_hash(edited) == records.config_hash(config)
    legacy = records._hash(config, records.HASH_EXCLUDED)  # how records were hashed before
    assert legacy != records.config_hash(config) and records.same_config(legacy, config)
    assert not records.same_config(records.config_hash({**config, "eta": 1.0}), config)


def test_a_job_claimed_by_a_live_process_is_skipped_and_a_stale_claim_taken_over(tmp_path, quick):
    import socket

    from sparseae_cli.claims import CLAIM_FILE, claim

    run = tmp_path / "run"
    run.mkdir()
    (run / CLAIM_FILE).write_text(f"{socket.gethostname()}:{os.getpid()}\n")  # this test: alive
    result = run_cli("train", *quick)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    assert result.returncode == 0 and f"being trained by process {holder}" in result.stdout
    assert not (run / "metrics.json").exists() and (run / CLAIM_FILE).exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (run / CLAIM_FILE).write_text(f"{socket.gethostname()}:{int(dead.stdout)}\n")  # its process is gone
    assert run_cli("train", *quick).returncode == 0
    assert (run / "metrics.json").exists() and not (run / CLAIM_FILE).exists()
    with claim(tmp_path / "job") as first, claim(tmp_path / "job") as second:
        assert first is None and second == holder
    assert not (tmp_path / "job" / CLAIM_FILE).exists()


def test_a_write_that_fails_is_one_line_exit_1_and_a_failed_file(tmp_path, quick, monkeypatch, capsys):
    from sparseae_cli import runner
    from sparseae_cli.cli import main

    def disk_full(path, tensors):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner, "save_tensors", disk_full)
    with pytest.raises(SystemExit) as stopped:
        main(["train", *quick])
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    run = tmp_path / "run"
    assert "No space left on device" in (run / "FAILED").read_text() and not (run / "metrics.json").exists()
