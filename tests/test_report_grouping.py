"""``sparseae report`` without --by: groups by the keys that vary, and prints counts as counts."""

import pandas as pd

from sparseae_cli.reporting.collect import varying_keys
from sparseae_cli.reporting.tables import aggregate, wide


def _runs(rows: list[dict]) -> pd.DataFrame:
    """One fold row per run, with the config columns a record flattens to."""
    return pd.DataFrame([{"run_dir": f"r{i}", **{f"config.{k}": v for k, v in row.items()}}
                         for i, row in enumerate(rows)])


def test_the_keys_that_vary_are_the_groups_and_the_seed_is_averaged_over():
    rows = [{"model.name": model, "model.hidden": hidden, "eta": eta, "seed": seed, "model.seed": seed,
             "device": device, "data_dir": "/d", "lr": 0.1}
            for model, hidden in (("vae", "[400]"), ("mlp_ae", "[128]"))
            for eta in (100.0, 300.0) for seed in (0, 1) for device in ("cpu",)]
    rows[0]["device"] = "cuda"  # where a run went is not what it computed
    # model.hidden changes with model.name: one key for both; model.seed follows the seed.
    assert varying_keys(_runs(rows)) == ["config.model.name", "config.eta"]


def test_runs_of_one_config_have_no_groups():
    assert varying_keys(_runs([{"eta": 1.0, "seed": s} for s in range(3)])) == []


def test_counts_print_as_integers_and_one_value_has_no_spread():
    frame = pd.DataFrame({"g": ["a", "a", "b"], "features_kept": [532, 532, 40],
                          "accuracy": [1.0, 1.0, 0.5], "mse": [0.1, 0.3, 0.2]})
    display = wide(aggregate(frame, ["g"], ["features_kept", "accuracy", "mse"]), ["g"]).set_index("g")
    assert display.loc["a", "features_kept"] == "532" and display.loc["b", "features_kept"] == "40"
    assert display.loc["a", "accuracy"] == "1.000 ± 0.000"  # a score of 1 is not a count
    assert display.loc["a", "mse"] == "0.200 ± 0.141"
    assert display.loc["b", "mse"] == "0.200"
