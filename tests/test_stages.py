"""Timed stages: a line with the duration of each stage that took a while, and every step run."""

import logging

from sparseae_cli import stages
from sparseae_cli.stages import stage, steps


def test_a_stage_that_takes_a_while_logs_its_duration_and_a_quick_one_does_not(caplog):
    with caplog.at_level(logging.INFO, logger="sparseae"):
        with stage("encoding 10 samples", min_seconds=0.0):
            pass
        with stage("instant", min_seconds=60.0):
            pass
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["encoding 10 samples"]
    assert caplog.records[0].getMessage().endswith(" s")


def test_steps_yield_every_name_in_order_and_time_each(caplog, monkeypatch):
    monkeypatch.setattr(stages, "MIN_SECONDS", 0.0)  # every step is worth a line here
    with caplog.at_level(logging.INFO, logger="sparseae"):
        seen = list(steps(["svm", "hoyer"], "metrics", progress=False))
    assert seen == ["svm", "hoyer"]
    assert [r.getMessage().rsplit(":", 1)[0] for r in caplog.records] == ["metrics: svm", "metrics: hoyer"]
