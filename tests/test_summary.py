"""The one-line summary printed after each run."""

from pathlib import Path

from sparseae_cli.summary import one_line_summary


def _record(constraint: dict, tag=None) -> dict:
    return {
        "params": {"dataset": "fashion_mnist", "model": "shallow_ae", "constraint": constraint["name"],
                   "eta": 300.0, "tag": tag},
        "config": {"constraint": constraint},
        "summary": {"mse": {"mean": 0.0161, "std": 0.0}, "hoyer_sparsity": {"mean": 0.508, "std": 0.0}},
        "folds": [{}],
        "wall_time_s": 12.0,
    }


def test_radius_constraint_shows_eta():
    line = one_line_summary(_record({"name": "l11"}), Path("out"))
    assert line.startswith("sparseae: fashion_mnist shallow_ae l11 eta=300.0: mse 0.016 ± 0.000")


def test_constraint_without_radius_hides_eta_and_shows_tag_and_sparsity():
    line = one_line_summary(_record({"name": "nonneg", "uses_eta": False}, tag="p=0.05 beta=0.001"), Path("out"))
    assert " eta=" not in line
    assert "nonneg [p=0.05 beta=0.001]:" in line
    assert "hoyer_sparsity 0.508 ± 0.000" in line
