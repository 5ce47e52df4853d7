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
    assert line.startswith("sparseae: fashion_mnist shallow_ae l11 eta=300: mse 0.016, hoyer_sparsity 0.508 (")


def test_constraint_without_radius_hides_eta_and_shows_tag_and_sparsity():
    line = one_line_summary(_record({"name": "nonneg", "uses_eta": False}, tag="p=0.05 beta=0.001"), Path("out"))
    assert " eta=" not in line
    assert "nonneg [p=0.05 beta=0.001]:" in line
    assert "hoyer_sparsity 0.508" in line


def test_eta_prints_alike_given_or_defaulted():
    given, defaulted = _record({"name": "l11"}), _record({"name": "l11"})
    given["params"]["eta"] = 300
    assert one_line_summary(given, Path("o")) == one_line_summary(defaulted, Path("o"))


def test_a_model_without_constraint_names_none_and_spread_shows_only_over_several_folds():
    record = _record({"name": "none"})
    record["params"]["model"] = "sparse_nmf"
    record["summary"] = {"mse": {"mean": 0.0134, "std": 0.001, "n": 4},
                         "svm_accuracy": {"mean": 0.79, "std": 0.0, "n": 1},
                         "max_approx_error": {"mean": 0.144, "std": 0.0, "n": 1}}
    line = one_line_summary(record, Path("out"))
    assert "sparse_nmf: mse 0.013 ± 0.001, svm_accuracy 0.790, max_approx_error 0.144 (" in line
    assert "eta" not in line and " none" not in line
