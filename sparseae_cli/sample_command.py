"""``sparseae sample RUN_DIR n=10``: new samples from a trained run, decoded.

A generative model (one whose ``sample`` draws from its prior: the VAEs) gives ``n`` draws
z ~ p(z), decoded, from the generator seeded by ``seed``. Any other model gets
Metropolis-Hastings in its latent space, ``n`` codes per class (Barlaud & Guyard, sec. 2.3).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors

from .artifacts import RunArtifacts
from .errors import UsageError
from .records import output_folder, write_json_atomic
from .sampling import metropolis_hastings

DEFAULTS = {"n": 10, "scale": 0.5, "bandwidth": "scott", "threshold": 0.05, "burn_in": 200,
            "thin": 10, "seed": 0, "member": None, "out": None}
HELP = ("usage: sparseae sample RUN_DIR [n=10] [seed=0] [member=seedS_foldF] [out=DIR] "
        "(generative models: n draws from the prior; others, Metropolis-Hastings, n per class: "
        "[scale=0.5] [bandwidth=scott|FLOAT] [threshold=0.05] [burn_in=200] [thin=10])")


def parse_options(args: list[str]) -> tuple[str, dict]:
    if not args or args[0] in ("-h", "--help"):
        raise UsageError(HELP)
    run_dir, options = args[0], dict(DEFAULTS)
    for arg in args[1:]:
        key, sep, value = arg.partition("=")
        if not sep or key not in DEFAULTS:
            raise UsageError(f"sample: unknown option '{arg}'; {HELP}")
        options[key] = value
    try:
        for key in ("n", "burn_in", "thin", "seed"):
            options[key] = int(options[key])
        for key in ("scale", "threshold"):
            options[key] = float(options[key])
        if options["bandwidth"] not in ("scott", "silverman"):
            options["bandwidth"] = float(options["bandwidth"])
    except ValueError as exc:
        raise UsageError(f"sample: {exc}; {HELP}") from None
    if options["n"] < 1 or options["thin"] < 1 or options["burn_in"] < 0 or options["scale"] <= 0:
        raise UsageError("sample: n and thin must be >= 1, burn_in >= 0 and scale > 0")
    if not 0 <= options["threshold"] < 1:
        raise UsageError("sample: threshold is a quantile of the training densities, in [0, 1)")
    return run_dir, options


def sample(args: list[str]) -> int:
    run_dir, opt = parse_options(args)
    run = RunArtifacts(run_dir)
    model = run.model(opt["member"])
    drawn = model.sample(opt["n"], torch.Generator().manual_seed(opt["seed"]))
    if drawn is not None:
        return prior_samples(run, opt, drawn.float().cpu().numpy())
    return latent_chain_samples(run, model, opt)


def prior_samples(run: RunArtifacts, opt: dict, decoded: np.ndarray) -> int:
    """Save the decoded prior draws (npz, json, an image grid for image data)."""
    out = output_folder(Path(opt["out"]) if opt["out"] else run.dir / "samples")
    np.savez_compressed(out / "samples.npz", decoded=decoded)
    summary = {"run_dir": str(run.dir), "options": opt, "method": "prior",
               "n": len(decoded), "seed": opt["seed"]}
    write_json_atomic(out / "samples.json", summary)
    if run.spec.image_shape is not None:
        from .reporting.figures import image_grid

        columns = int(np.ceil(np.sqrt(len(decoded))))
        rows = -(-len(decoded) // columns)
        padded = np.concatenate([decoded, np.full((rows * columns - len(decoded), decoded.shape[1]), np.nan)])
        image_grid(padded.reshape(rows, columns, -1), run.spec.image_shape, out / "prior_samples",
                   title=f"{run.label()}: {len(decoded)} draws from the prior, decoded (seed {opt['seed']})")
    print(f"sparseae: {len(decoded)} prior samples -> {out}")
    return 0


def latent_chain_samples(run: RunArtifacts, model, opt: dict) -> int:
    """Metropolis-Hastings on each class's code density, ``n`` per class, decoded."""
    codes = run.codes(opt["member"])
    z_train, y_train = codes["code_train"], codes["y_train"]

    per_class, chains = [], {}
    for k, name in enumerate(run.class_names):
        class_codes = z_train[y_train == k]
        if len(class_codes) < 2:
            raise UsageError(f"sample: class '{name}' has fewer than two training codes")
        chain = metropolis_hastings(class_codes, opt["n"], opt["scale"], opt["bandwidth"],
                                    opt["threshold"], opt["burn_in"], opt["thin"], opt["seed"] + k)
        per_class.append(chain.samples)
        chains[name] = {"acceptance_rate": chain.acceptance_rate,
                        "refused_below_threshold": chain.below_threshold}
    latent = np.concatenate(per_class).astype(np.float32)
    target = np.repeat(np.arange(len(per_class)), opt["n"])
    with torch.no_grad():
        decoded = model.decode(torch.from_numpy(latent))
        assigned = model.encode(decoded).argmax(1).numpy()
        decoded = decoded.numpy()

    nearest = NearestNeighbors(n_neighbors=2).fit(z_train)
    to_train = nearest.kneighbors(latent, n_neighbors=1)[0][:, 0]
    train_spacing = nearest.kneighbors(z_train)[0][:, 1]  # each code's nearest other code
    summary = {
        "run_dir": str(run.dir),
        "options": opt,
        "acceptance_rate": float(np.mean([c["acceptance_rate"] for c in chains.values()])),
        "per_class": chains,
        # Does the trained classifier put the decoded sample back in the class it came from?
        "decoded_class_agreement": float(np.mean(assigned == target)),
        "distance_to_nearest_training_code": {"median": float(np.median(to_train)),
                                              "mean": float(np.mean(to_train))},
        "training_code_spacing_median": float(np.median(train_spacing)),
    }
    out = output_folder(Path(opt["out"]) if opt["out"] else run.dir / "samples")
    np.savez_compressed(out / "samples.npz", latent=latent, target=target, decoded=decoded,
                        assigned=assigned)
    write_json_atomic(out / "samples.json", summary)
    if run.spec.image_shape is not None:
        from .reporting.figures import image_grid

        image_grid(decoded.reshape(len(per_class), opt["n"], -1), run.spec.image_shape,
                   out / "decoded_samples", row_labels=run.class_names,
                   title="Decoded Metropolis-Hastings samples, one row per class")
    print(json.dumps({k: summary[k] for k in ("acceptance_rate", "decoded_class_agreement",
                                              "distance_to_nearest_training_code",
                                              "training_code_spacing_median")}, indent=1))
    print(f"sparseae: {len(latent)} samples -> {out}")
    return 0
