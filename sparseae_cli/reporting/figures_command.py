"""``sparseae figures RUN_DIR [RUN_DIR...]``: the latent space of each run side by side
(e.g. without and with the constraint, Figs 2, 5 and 6 of Barlaud & Guyard), and for
image data the test images above their reconstructions (Fig 3); the training loss of each
run against epoch. ``--class-structure``: Theodosis & Ba's Figs 2-4 (class_structure_figures);
``--generative``: Pyle's appendix figures (generative_figures); ``--single-cell``: SAUCIE's and
AAnet's views (single_cell_figures)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..artifacts import RunArtifacts, find_run
from ..errors import UsageError
from ..records import output_folder
from .figures import image_grid, jacobian_spectra, latent_pca, loss_curves


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"figures: {message}")


def _numbers(values) -> bool:
    """A non-empty list of finite numbers (a record from a copied folder may hold anything)."""
    return (isinstance(values, list) and bool(values)
            and all(isinstance(v, (int, float)) and np.isfinite(v) for v in values))


def figures(args: list[str]) -> int:
    parser = _Parser(prog="sparseae figures")
    parser.add_argument("runs", nargs="+",
                        help="run folders (one latent panel each), or sweep folders with --select")
    parser.add_argument("--select", action="append", default=[],
                        help="key=value[,key=value]: pick one run below the folders (repeat for more panels)")
    parser.add_argument("--out", default=None, help="output folder (default: first RUN/figures)")
    parser.add_argument("--split", default="test", choices=["train", "test"])
    parser.add_argument("--grid", action="store_true",
                        help="metrics against beta for each p over every run below the folders")
    parser.add_argument("--class-structure", action="store_true",
                        help="Theodosis & Ba's figures: code distance matrices, class-mean activity, "
                             "atoms per group")
    parser.add_argument("--generative", action="store_true",
                        help="Pyle's figures for generative models: reconstructions, latent patterns, "
                             "2-D latent spread and prior-quantile grid, prior samples")
    parser.add_argument("--single-cell", action="store_true",
                        help="SAUCIE/AAnet views: each run's embedding by cell type, cluster and batch; "
                             "archetypes' top genes")
    opts = parser.parse_args(args)
    if opts.grid:
        from .collect import load_runs
        from .parts_figures import grid_figures

        out = output_folder(Path(opts.out) if opts.out else Path(opts.runs[0]) / "figures")
        written = grid_figures(load_runs(opts.runs), out)
        print(f"sparseae: figures -> {', '.join(str(p) for p in written if p.suffix == '.png')}")
        return 0
    chosen = [find_run(opts.runs, sel) for sel in opts.select] if opts.select else opts.runs
    runs = [RunArtifacts(r) for r in chosen]
    out = output_folder(Path(opts.out) if opts.out else runs[0].dir / "figures")
    if opts.single_cell:
        from .single_cell_figures import single_cell_figures

        written = single_cell_figures(runs, out)
        print(f"sparseae: figures -> {', '.join(str(p) for p in written if p.suffix in ('.png', '.csv'))}")
        return 0
    if opts.class_structure or opts.generative:
        from .class_structure_figures import class_structure_figures
        from .generative_figures import generative_figures

        written = (class_structure_figures if opts.class_structure else generative_figures)(runs, out)
        print(f"sparseae: figures -> {', '.join(str(p) for p in written if p.suffix == '.png')}")
        return 0
    written = []
    if all(r.dictionary() is not None and r.examples() is not None for r in runs):
        from .parts_figures import model_figures

        written += model_figures(runs, out)
    panels = []
    for run in runs:
        codes = run.codes()
        p = run.record["params"]
        name = p.get("tag") or f"{p['constraint']} eta={p['eta']}"
        panels.append((f"{name} ({opts.split})",
                       codes[f"code_{opts.split}"], codes[f"y_{opts.split}"]))
    written += latent_pca(panels, runs[0].class_names, out / "latent_pca")
    curves = [(run.label(), run.loss_history()) for run in runs if run.loss_history()]
    if curves:
        written += loss_curves(curves, out / "loss_curves")
    spectra = [(run.label(), values) for run in runs
               if _numbers(values := run.record["folds"][0].get("jacobian_spectrum"))]
    if spectra:
        written += jacobian_spectra(spectra, out / "jacobian_spectra")
    for run in runs:
        examples = run.examples()
        if examples is not None and run.spec.image_shape is not None:
            n = min(10, len(examples["x"]))
            rows, labels = [examples["x"][:n], examples["reconstruction"][:n]], ["input", "output"]
            if "noisy" in examples:  # a denoising run: its corrupted test images and their restoration
                rows += [examples["noisy"][:n], examples["denoised"][:n]]
                labels += ["noisy input", "denoised"]
            name = f"reconstructions_{run.dir.name}"
            written += image_grid(np.stack(rows), run.spec.image_shape, out / name, row_labels=labels,
                                  title=f"{run.label()}: test images and their reconstructions")
    print(f"sparseae: figures -> {', '.join(str(p) for p in written if p.suffix == '.png')}")
    return 0
