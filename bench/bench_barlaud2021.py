"""Speed of the Barlaud & Guyard 2021 protocol.

0. The authors' protocol, re-created step for step in `bench/reference_barlaud2021.py`, timed in
   this run on this machine: by default two configurations (l1 and l11 at eta=1000), the table's
   time taken as ten times their mean (configurations differ by a few seconds); `--reference all`
   times all ten. Every ratio below is against these figures, measured in the same run.
1. One Table 1 configuration (l11, eta=1000: 3 seeds x 4 folds, 30+30 epochs at batch 8)
   trained one member at a time and as one stacked ensemble.
2. The whole Table 1 sweep (10 configurations) as `make reproduce-barlaud2021` runs it
   (hydra/launcher=processes, 2 jobs) against the reference's table (issue 17's target: 20x);
   the same on Hydra's joblib launcher, and without the shared phases.
3. With --mnist, the MNIST experiment (target: under 20 minutes).

    python bench/bench_barlaud2021.py [--data-dir DIR] [--reference all|CONSTRAINT:ETA,...] [--mnist]
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

TABLE1 = [f"{c}:{eta}" for c in ("l1", "l11") for eta in (200, 400, 1000, 2000, 10000)]


def sparseae(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from sparseae_cli.cli import main; main()", *args],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def reference_seconds(data_dir: str, configs: list) -> list:
    """Seconds of each configuration of the authors' protocol (bench/reference_barlaud2021.py)."""
    script = Path(__file__).with_name("reference_barlaud2021.py")
    done = subprocess.run([sys.executable, str(script), "--data-dir", data_dir, *configs],
                          check=True, capture_output=True, text=True)
    return [float(line.split()[2]) for line in done.stdout.splitlines()]


def silhouettes(run_dir: Path) -> list:
    return [fold.get("silhouette_test") for fold in json.loads((run_dir / "metrics.json").read_text())["folds"]]


def training_seconds(run_dir: Path) -> float:
    return json.loads((run_dir / "metrics.json").read_text())["wall_time_s"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=os.environ.get("SPARSEAE_DATA_DIR", "../shared/data"))
    parser.add_argument("--mnist", action="store_true")
    parser.add_argument("--reference", default="l1:1000,l11:1000",
                        help="the authors' configurations to time: 'all' (ten) or CONSTRAINT:ETA,...")
    opts = parser.parse_args()
    configs = TABLE1 if opts.reference == "all" else opts.reference.split(",")
    per_config = reference_seconds(opts.data_dir, configs)
    reference_config = sum(per_config) / len(per_config)
    reference_table = sum(per_config) if sorted(configs) == sorted(TABLE1) else len(TABLE1) * reference_config
    print(f"The authors' protocol (bench/reference_barlaud2021.py), this machine: "
          f"{', '.join(f'{c} {t:.1f} s' for c, t in zip(configs, per_config))}; Table 1 "
          f"{'measured' if sorted(configs) == sorted(TABLE1) else 'estimated as ten times their mean'}: "
          f"{reference_table:.0f} s")
    tmp = Path(tempfile.mkdtemp(prefix="sparseae-bench-"))
    one = ["train", "experiment=barlaud2021_ohlson", f"data_dir={opts.data_dir}", "hydra.mode=RUN",
           "constraint=l11", "eta=1000", "resume=false"]

    sparseae(*one, "train.ensemble=false", f"hydra.run.dir={tmp / 'sequential'}")
    sparseae(*one, "train.ensemble=true", f"hydra.run.dir={tmp / 'ensemble'}")
    seq, ens = training_seconds(tmp / "sequential"), training_seconds(tmp / "ensemble")
    print("Table 1, one configuration (12 members, 60 epochs at batch 8), run time inside the job:")
    print(f"  one member at a time : {seq:6.1f} s   ({reference_config / seq:4.1f}x faster than the "
          f"reference's {reference_config:.1f} s)")
    print(f"  stacked ensemble     : {ens:6.1f} s   ({seq / ens:4.1f}x faster than one at a time, "
          f"{reference_config / ens:4.1f}x faster than the reference)")

    sweep = ["train", "experiment=barlaud2021_ohlson", f"data_dir={opts.data_dir}", "resume=false",
             "hydra.launcher.n_jobs=2"]
    wall = sparseae(*sweep, "hydra/launcher=processes", f"hydra.sweep.dir={tmp / 'table1'}")
    joblib = sparseae(*sweep, "hydra/launcher=joblib", f"hydra.sweep.dir={tmp / 'table1_joblib'}")
    phase1 = sparseae(*sweep, "hydra/launcher=joblib", "train.share_phase2=false",
                      f"hydra.sweep.dir={tmp / 'table1_phase1'}")
    alone = sparseae(*sweep, "hydra/launcher=joblib", "train.share_phase1=false", "train.share_phase2=false",
                     f"hydra.sweep.dir={tmp / 'table1_alone'}")
    print(f"Table 1, whole sweep (10 configurations, 2 jobs, hydra/launcher=processes), command wall time: "
          f"{wall:.1f} s ({reference_table / wall:.1f}x faster than the reference's "
          f"{reference_table:.0f} s; target 20x: <= {reference_table / 20:.1f} s)")
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
