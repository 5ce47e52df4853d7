"""Class structure of group-sparse codes: Theodosis & Ba's figures (ICASSP 2023), as numbers.

The paper shows pictures: pairwise distances between the codes' group-norm vectors of 100 test
images per class (Fig 2), class-mean activity maps (Fig 3) and atoms per group (Fig 4), and says
that group-sparse codes show class structure that sparse codes do not, and that the atoms are
class silhouettes. Measured here, on ``eval.per_class`` test images of every class (seeded):

- ``group_distance_ratio``: mean within-class over mean between-class Euclidean distance of
  the group-norm vectors (Fig 2's matrix; below 1 means class blocks, 1 means none);
- ``group_silhouette``: their silhouette against the classes;
- ``group_energy_dominant``: the share of a class's code energy sum_i ||x_{i,g}||^2 that falls in
  its dominant group, averaged over classes (1: every class lives in one group; chance is
  1 / n_groups), and ``group_dominant_distinct``: how many distinct groups are dominant;
- ``active_groups``: groups with a non-zero norm per code, averaged;
- ``atom_class_correlation``: groups matched one-to-one to classes (Hungarian, scipy) by the
  mean absolute Pearson correlation of the group's atoms with each class-mean training image;
  the mean over matched pairs (1: every atom of a group is its class's silhouette). Absolute:
  with a two-sided threshold an atom may enter its group with either sign;
- ``atom_silhouette``: the mean over all atoms of their best |correlation| with a class-mean
  image (how silhouette-like a typical atom is, where the matched score above picks the best
  groups: an ungrouped dictionary of 320 atoms always holds a few digit-like ones).

Without ``code_groups`` every code unit is its own group (the sparse AE, the pixel basis), and
the distances are between the codes themselves.
"""

from __future__ import annotations

import numpy as np

from ..params import POSITIVE_INT
from . import METRICS, EvalInputs
from ._correlation import abs_correlation

DEFAULT_PER_CLASS = 100


def group_norm_codes(codes: np.ndarray, code_groups: np.ndarray | None) -> np.ndarray:
    """||x_g||_2 of every group g for every code: (n, n_groups). Ungrouped codes are returned as
    they are: the norm of a one-unit group would drop its sign, and Fig 2a compares the raw
    (centred) images themselves."""
    if code_groups is None:
        return codes
    groups = np.unique(code_groups)
    return np.stack([np.linalg.norm(codes[:, code_groups == g], axis=1) for g in groups], axis=1)


def per_class_sample(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Up to ``per_class`` random rows of every class, drawn without replacement, ordered by
    class (the order of Fig 2's matrix)."""
    rng = np.random.default_rng(seed)
    rows = [rng.choice(np.flatnonzero(labels == c), size=min(per_class, int((labels == c).sum())), replace=False)
            for c in np.unique(labels)]
    return np.concatenate([np.sort(r) for r in rows])


def distance_ratio(vectors: np.ndarray, labels: np.ndarray) -> float:
    """Mean within-class over mean between-class pairwise Euclidean distance (pairs i < j)."""
    from scipy.spatial.distance import pdist  # lazy (registry.py)

    distances = pdist(vectors)
    same = pdist(labels[:, None], metric="cityblock") == 0
    between = distances[~same].mean()
    return float(distances[same].mean() / between) if between > 0 else float("nan")


def class_group_energy(codes: np.ndarray, labels: np.ndarray, code_groups: np.ndarray | None) -> np.ndarray:
    """E[c, g]: mean over class c's codes of ||x_g||^2, normalised to sum 1 over groups."""
    energy = group_norm_codes(codes, code_groups) ** 2  # squares: the sign of an ungrouped unit drops
    per_class = np.stack([energy[labels == c].mean(axis=0) for c in np.unique(labels)])
    totals = per_class.sum(axis=1, keepdims=True)
    return np.divide(per_class, totals, out=np.zeros_like(per_class), where=totals > 0)


def matched_atom_correlation(atoms: np.ndarray, code_groups: np.ndarray | None,
                             class_means: np.ndarray) -> float:
    """Mean over classes of S[c, g(c)], S[c, g] = mean over the atoms j of group g of
    |corr(class mean c, atom j)|, groups g(c) matched one-to-one to classes to maximise the
    total (Hungarian)."""
    from scipy.optimize import linear_sum_assignment  # lazy (registry.py)

    correlation = abs_correlation(atoms.T, class_means.T)  # (classes x atoms), over pixels
    if code_groups is not None:
        correlation = np.stack([correlation[:, code_groups == g].mean(axis=1) for g in np.unique(code_groups)],
                               axis=1)
    rows, cols = linear_sum_assignment(correlation, maximize=True)
    return float(correlation[rows, cols].mean())


def atom_silhouette(atoms: np.ndarray, class_means: np.ndarray) -> float:
    """Mean over atoms of max over classes of |corr(atom, class mean)|."""
    return float(abs_correlation(atoms.T, class_means.T).max(axis=0).mean())


@METRICS.register("group_structure", {"per_class": POSITIVE_INT})
def group_structure(inputs: EvalInputs) -> dict:
    from sklearn.metrics import silhouette_score  # lazy (registry.py)

    if len(np.unique(inputs.y_test)) < 2:
        return {}
    per_class = int(inputs.options.get("per_class", DEFAULT_PER_CLASS)) if inputs.options is not None \
        else DEFAULT_PER_CLASS
    rows = per_class_sample(inputs.y_test, per_class, inputs.seed)
    codes, labels = inputs.code_test[rows], inputs.y_test[rows]
    norms = group_norm_codes(codes, inputs.code_groups)
    energy = class_group_energy(codes, labels, inputs.code_groups)
    result = {
        "n_groups": int(norms.shape[1]),
        "group_distance_ratio": distance_ratio(norms, labels),
        "group_silhouette": float(silhouette_score(norms, labels)) if len(labels) > len(np.unique(labels))
        else float("nan"),
        "group_energy_dominant": float(energy.max(axis=1).mean()),
        "group_dominant_distinct": int(len(np.unique(energy.argmax(axis=1)))),
        "active_groups": float((norms != 0).sum(axis=1).mean()),
    }
    if inputs.atoms is not None and inputs.x_train is not None:
        class_means = np.stack([inputs.x_train[inputs.y_train == c].mean(axis=0)
                                for c in np.unique(inputs.y_train)])
        result["atom_class_correlation"] = matched_atom_correlation(inputs.atoms, inputs.code_groups, class_means)
        result["atom_silhouette"] = atom_silhouette(inputs.atoms, class_means)
    return result

