"""The short summary printed at the end of every run."""

from __future__ import annotations

from pathlib import Path

SHOWN = ["silhouette_test", "silhouette_train", "accuracy", "mse", "hoyer_sparsity"]


def one_line_summary(record: dict, out_dir: Path) -> str:
    summary = record["summary"]
    parts = [
        f"{key} {summary[key]['mean']:.3f} ± {summary[key]['std']:.3f}"
        for key in SHOWN
        if key in summary
    ]
    if "features_kept" in summary:
        total = record["folds"][0].get("features_total", "?")
        parts.append(f"features kept {summary['features_kept']['mean']:.0f}/{total}")
    p = record["params"]
    head = f"{p['dataset']} {p['model']} {p['constraint']}"
    # Only radius constraints read eta; "nonneg eta=300" would suggest a radius that isn't there.
    if record["config"]["constraint"].get("uses_eta", True):
        head += f" eta={p['eta']}"
    if p.get("tag"):
        head += f" [{p['tag']}]"
    return (f"sparseae: {head}: " + ", ".join(parts)
            + f" ({len(record['folds'])} fold(s), {record['wall_time_s']:.1f} s) -> {out_dir}")
