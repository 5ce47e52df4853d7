"""Scale, SAUCIE's selling point (issue 14): on a generated CyTOF-like set (1 million cells x 30
markers, 10 cell types, 2 batches, seeded: ``datasets/cytof_synthetic.py``), SAUCIE's epoch time
and peak memory beside the baselines' whole fit: k-means on PCA and Leiden on a kNN graph.

Each method runs in its own process, so that its peak resident memory (``ru_maxrss``) is its own;
the process's memory before the fit (interpreter, libraries and the data) is shown apart. SAUCIE
trains one epoch with its defaults (batches of 100, Adam 1e-3, lambda_c 0.1, lambda_d 0.2),
lambda_b 0.1 (the set has 2 batches) and the reference's min_cluster_size of 100 through the real
epoch loop, then reads out its clusters over every cell.
The baselines fit with their defaults (50 components capped at the 30 markers; k-means with
10 clusters and 10 restarts; Leiden with 15 neighbours, resolution 1, and above 50,000 cells its
approximate neighbours, NN-descent as scanpy: the exact graph is quadratic, about 35 min here).

    python bench/bench_saucie.py [--cells 1000000] [--methods saucie kmeans_pca leiden]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import torch
from omegaconf import OmegaConf

MARKERS, TYPES, BATCHES = 30, 10, 2


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def neighbour_recall(cells: int = 50_000) -> float:
    """The share of the exact 15 nearest neighbours that NN-descent finds (Leiden's graph above
    50,000 cells), on the first ``cells`` cells of the same generated set."""
    from sparseae_cli.datasets.cytof_synthetic import generate
    from sparseae_cli.models.leiden import nearest_neighbours

    X = generate(cells, MARKERS, TYPES, BATCHES, drift=0.5, seed=0)[0]
    exact = nearest_neighbours(X, 15, "exact", 0)
    approximate = nearest_neighbours(X, 15, "approximate", 0)
    return float(np.mean([len(np.intersect1d(a, e)) / 15 for a, e in zip(approximate, exact)]))


def measure(method: str, cells: int) -> dict:
    """Run one method on the generated set in this process; its times, peak memory and ARI."""
    from sklearn.metrics import adjusted_rand_score

    from sparseae_cli.datasets.cytof_synthetic import generate
    from sparseae_cli.models import MODELS, DataSpec
    from sparseae_cli.training.loop import Batches, train_epochs

    X, types, batches = generate(cells, MARKERS, TYPES, BATCHES, drift=0.5, seed=0)
    data_mib = peak_mib()
    x = torch.from_numpy(X)
    cfg = OmegaConf.load(f"conf/model/{method}.yaml")
    cfg.pop("defaults", None)
    if method == "kmeans_pca":
        cfg.n_clusters = TYPES
    if method == "saucie":
        cfg.lambda_b = 0.1
        cfg.min_cluster_size = 100  # the reference's binmin, made for sets of this size
    torch.manual_seed(0)
    model = MODELS.get(method)(cfg, DataSpec(MARKERS, TYPES))
    start = time.perf_counter()
    if method == "saucie":
        train = OmegaConf.create({"optimizer": "adam", "lr": 1e-3, "weight_decay": 0.0})
        columns = {"x": x, "group": torch.from_numpy(batches)}
        batches = Batches(columns, int(cfg.train.batch_size), torch.Generator().manual_seed(0))
        train_epochs(model, batches, train, 1)
    else:
        model.fit(x)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    clusters = model.clusters(x)
    readout_s = time.perf_counter() - start
    return {"method": method, "fit_s": fit_s, "readout_s": readout_s, "peak_mib": peak_mib(), "data_mib": data_mib,
            "ari": float(adjusted_rand_score(types, clusters)),
            "clusters": int(len(np.unique(clusters[clusters >= 0])))}


def above(result: dict) -> float:
    """Peak memory above the process's before the fit (interpreter, libraries and data)."""
    return max(1.0, result["peak_mib"] - result["data_mib"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--methods", nargs="+", default=["saucie", "kmeans_pca", "leiden"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.worker == "recall":
        print(json.dumps({"recall": neighbour_recall()}))
        return
    if opts.worker:
        print(json.dumps(measure(opts.worker, opts.cells)))
        return
    print(f"CyTOF-like set: {opts.cells} cells x {MARKERS} markers, {TYPES} types, {BATCHES} batches; "
          f"{torch.get_num_threads()} threads; each method in its own process")
    print(f"  {'method':<11} {'fit':>9} {'read-out':>9} {'peak RSS':>10} {'before':>8} {'ARI':>6} {'clusters':>8}")
    results = []
    for method in opts.methods:
        done = subprocess.run([sys.executable, __file__, "--cells", str(opts.cells), "--worker", method],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"  {method:<11} failed: {done.stderr.strip().splitlines()[-1]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(r)
        what = "1 epoch" if method == "saucie" else "whole fit"
        print(f"  {method:<11} {r['fit_s']:8.1f}s {r['readout_s']:8.1f}s {r['peak_mib']:8.0f}MiB "
              f"{r['data_mib']:6.0f}MiB {r['ari']:6.3f} {r['clusters']:8d}   ({what})")
    if "leiden" in opts.methods and opts.cells > 50_000:
        done = subprocess.run([sys.executable, __file__, "--worker", "recall"], capture_output=True, text=True)
        if done.returncode == 0:
            recall = json.loads(done.stdout.strip().splitlines()[-1])["recall"]
            print(f"  Leiden's graph above 50,000 cells is NN-descent's: it finds {recall:.3f} of the exact "
                  "15 nearest neighbours (50,000 cells)")
    by = {r["method"]: r for r in results}
    if "saucie" in by:
        for other in ("kmeans_pca", "leiden"):
            if other in by:
                time_ratio = by["saucie"]["fit_s"] / by[other]["fit_s"]
                memory_ratio = above(by["saucie"]) / above(by[other])
                print(f"  SAUCIE epoch / {other} fit: {time_ratio:.2f}x time, {memory_ratio:.2f}x memory "
                      "above the process before fitting")


if __name__ == "__main__":
    main()
