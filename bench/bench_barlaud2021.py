"""Speed of the Barlaud & Guyard 2021 protocol.

1. One Table 1 configuration (l11, eta=1000: 3 seeds x 4 folds, 30+30 epochs at batch 8)
   trained one member at a time and as one stacked ensemble: the ratio is measured here,
   in one run. The authors' script needs about 47 s per configuration on this machine
   (shared/notes/supervised_ae_reference.md, sec. 10).
2. The whole Table 1 sweep (10 configurations) as `make reproduce-barlaud2021` runs it
   (hydra/launcher=processes, 2 jobs): wall time against the reference's ~8 minutes; the same
   on Hydra's joblib launcher, and without the shared phases.
3. With --mnist, the MNIST experiment (target: under 20 minutes).

    python bench/bench_barlaud2021.py [--data-dir DIR] [--mnist]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REFERENCE_S_PER_CONFIG = 47.0  # measured with the authors' script (notes, sec. 10)
REFERENCE_TABLE1_S = 8 * 60


def sparseae(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from sparseae_cli.cli import main; main()", *args],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def silhouettes(run_dir: Path) -> list:
    return [fold.get("silhouette_test") for fold in json.loads((run_dir / "metrics.json").read_text())["folds"]]


def training_seconds(run_dir: Path) -> float:
    return json.loads((run_dir / "metrics.json").read_text())["wall_time_s"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=os.environ.get("SPARSEAE_DATA_DIR", "../shared/data"))
    parser.add_argument("--mnist", action="store_true")
    opts = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sparseae-bench-"))
    one = ["train", "experiment=barlaud2021_ohlson", f"data_dir={opts.data_dir}", "hydra.mode=RUN",
           "constraint=l11", "eta=1000", "resume=false"]

    sparseae(*one, "train.ensemble=false", f"hydra.run.dir={tmp / 'sequential'}")
    sparseae(*one, "train.ensemble=true", f"hydra.run.dir={tmp / 'ensemble'}")
    seq, ens = training_seconds(tmp / "sequential"), training_seconds(tmp / "ensemble")
    print("Table 1, one configuration (12 members, 60 epochs at batch 8), run time inside the job:")
    print(f"  one member at a time : {seq:6.1f} s   ({REFERENCE_S_PER_CONFIG / seq:4.1f}x faster than the "
          f"reference's ~{REFERENCE_S_PER_CONFIG:.0f} s)")
    print(f"  stacked ensemble     : {ens:6.1f} s   ({seq / ens:4.1f}x faster than one at a time, "
          f"{REFERENCE_S_PER_CONFIG / ens:4.1f}x faster than the reference)")

    sweep = ["train", "experiment=barlaud2021_ohlson", f"data_dir={opts.data_dir}", "resume=false",
             "hydra.launcher.n_jobs=2"]
    wall = sparseae(*sweep, "hydra/launcher=processes", f"hydra.sweep.dir={tmp / 'table1'}")
    joblib = sparseae(*sweep, "hydra/launcher=joblib", f"hydra.sweep.dir={tmp / 'table1_joblib'}")
    phase1 = sparseae(*sweep, "hydra/launcher=joblib", "train.share_phase2=false",
                      f"hydra.sweep.dir={tmp / 'table1_phase1'}")
    alone = sparseae(*sweep, "hydra/launcher=joblib", "train.share_phase1=false", "train.share_phase2=false",
                     f"hydra.sweep.dir={tmp / 'table1_alone'}")
    print(f"Table 1, whole sweep (10 configurations, 2 jobs, hydra/launcher=processes), command wall time: "
          f"{wall:.1f} s ({REFERENCE_TABLE1_S / wall:.1f}x faster than the reference's "
          f"~{REFERENCE_TABLE1_S / 60:.0f} min; target 20x: <= {REFERENCE_TABLE1_S / 20:.0f} s)")
    others = (("table1_joblib", joblib, "same on Hydra's joblib launcher"),
              ("table1_phase1", phase1, "joblib, phase 1 shared, phase 2 not (train.share_phase2=false)"),
              ("table1_alone", alone, "joblib, nothing shared (both false)"))
    for name, seconds, what in others:
        same = all(silhouettes(tmp / "table1" / str(j)) == silhouettes(tmp / name / str(j)) for j in range(10))
        print(f"  {what}: {seconds:.1f} s ({seconds / wall:.2f}x the default sweep); "
              f"silhouettes {'identical' if same else 'DIFFER'}")

    if opts.mnist:
        wall = sparseae("train", "experiment=barlaud2021_mnist", f"data_dir={opts.data_dir}",
                        "resume=false", f"hydra.run.dir={tmp / 'mnist'}")
        print(f"MNIST experiment (fair4, 10+10 epochs, 60,000 images), command wall time: {wall / 60:.1f} min "
              "(target: under 20 min)")


if __name__ == "__main__":
    main()
