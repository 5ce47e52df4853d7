"""The short summary printed at the end of every run."""

from __future__ import annotations

from pathlib import Path

# The headline metrics, in this order, of whichever a run computed (each family reports its own:
# clusters and batch mixing, silhouettes and accuracy, MSE and sparsity, the SVM protocol and
# max-approximation, likelihoods).
SHOWN = ["ari", "nmi", "n_clusters", "batch_entropy", "batch_entropy_input", "in_simplex_fraction",
         "silhouette_test", "silhouette_train", "accuracy", "mse", "hoyer_sparsity", "svm_accuracy",
         "max_approx_error", "test_neg_elbo", "test_nll_iwae"]


def _value(stats: dict) -> str:
    """mean, and ± std only when there are several folds or seeds to vary over."""
    mean = stats["mean"]
    if float(mean).is_integer() and abs(mean) > 1:  # a count (clusters, features): no decimals
        text = f"{mean:.0f}"
    else:
        text = f"{mean:.3g}" if abs(mean) >= 100 else f"{mean:.3f}"
    return text + (f" ± {stats['std']:.3f}" if stats.get("n", 1) > 1 else "")


def one_line_summary(record: dict, out_dir: Path) -> str:
    summary = record["summary"]
    parts = [f"{key} {_value(summary[key])}" for key in SHOWN if key in summary]
    if "features_kept" in summary:
        total = record["folds"][0].get("features_total", "?")
        parts.append(f"features kept {summary['features_kept']['mean']:.0f}/{total}")
    p = record["params"]
    head = f"{p['dataset']} {p['model']}"
    constraint = record["config"]["constraint"]
    if p["constraint"] != "none":  # models that take no constraint (VAE, NMF, ...) name none
        head += f" {p['constraint']}"
        # Only radius constraints read eta; "nonneg eta=300" would suggest a radius that isn't there.
        if constraint.get("uses_eta", True):
            head += f" eta={float(p['eta']):g}"  # 300 and 300.0 alike, given or defaulted
    if p.get("tag"):
        head += f" [{p['tag']}]"
    return (f"sparseae: {head}: " + ", ".join(parts)
            + f" ({len(record['folds'])} fold(s), {record['wall_time_s']:.1f} s) -> {out_dir}")
