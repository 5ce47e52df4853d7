"""Linear-SVM accuracy of the test codes, with the part-based AE report's protocol.

Only the test codes are used, unscaled: a stratified 80/20 split; C chosen by grid search
(LinearSVC, L2 penalty, squared hinge, one-vs-rest) with stratified shuffle splits on
the 80%; then, on the 20% held out, LinearSVC(C) is fitted and scored on repeated
stratified splits (95% / 5%), and the mean and std of those scores are reported.
The report used 30 values of C and 15 selection splits; the defaults here (eval.svm)
are smaller. solver=batched fits LinearSVC's problem for every C, class and split at once
(sparseae_cli.linear_svm); solver=liblinear uses LinearSVC itself, one fit at a time.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import linear_svm
from ..params import POSITIVE_INT, Options
from . import METRICS, EvalInputs

DEFAULTS = {"n_c": 30, "c_min_log10": -2, "c_max_log10": 3, "select_splits": 15,
            "select_test_size": 0.08, "score_splits": 25, "score_test_size": 0.05, "n_jobs": 1,
            "max_iter": 2000, "solver": "batched"}


def _select_c_liblinear(x, y, c_grid, cv, opt) -> float:
    from sklearn.model_selection import GridSearchCV  # lazy (registry.py)
    from sklearn.svm import LinearSVC  # lazy (registry.py)

    grid = GridSearchCV(LinearSVC(dual=False, max_iter=opt["max_iter"]), {"C": c_grid}, cv=cv,
                        refit=False, n_jobs=opt["n_jobs"]).fit(x, y)
    return float(grid.best_params_["C"])


def _score_liblinear(x, y, c, splits, opt) -> list[float]:
    from sklearn.svm import LinearSVC  # lazy (registry.py)

    return [LinearSVC(C=c, dual=False, max_iter=opt["max_iter"]).fit(x[tr], y[tr]).score(x[te], y[te])
            for tr, te in splits]


def _fit_batched(X, targets, row_sets, c_values) -> torch.Tensor:
    """One-vs-rest weights (len(row_sets), len(c_values), K, d): every row subset and C at once."""
    k, n = targets.shape
    masks = torch.zeros(len(row_sets), n, dtype=linear_svm.DTYPE)
    for i, rows in enumerate(row_sets):
        masks[i, torch.as_tensor(rows)] = 1
    per_problem = len(c_values) * k
    mask = masks.repeat_interleave(per_problem, dim=0)
    y = targets.repeat(len(row_sets) * len(c_values), 1)
    C = torch.as_tensor(np.tile(np.repeat(c_values, k), len(row_sets)), dtype=linear_svm.DTYPE)
    return linear_svm.solve(X, y, mask, C).reshape(len(row_sets), len(c_values), k, -1)


def _select_c_batched(x, y, c_grid, cv, opt) -> float:
    X, classes = linear_svm.with_intercept(x), np.unique(y)
    targets = linear_svm.one_vs_rest_targets(y, classes)
    splits = list(cv.split(x, y))
    weights = _fit_batched(X, targets, [train for train, _ in splits], c_grid)  # every split and C in one solve
    scores = np.array([[linear_svm.accuracy(w, X[test], y[test], classes) for w in per_c]
                       for per_c, (_, test) in zip(weights, splits)])
    return float(c_grid[int(np.argmax(scores.mean(0)))])  # first best, as GridSearchCV


def _score_batched(x, y, c, splits, opt) -> list[float]:
    X, classes = linear_svm.with_intercept(x), np.unique(y)
    targets = linear_svm.one_vs_rest_targets(y, classes)
    weights = _fit_batched(X, targets, [tr for tr, _ in splits], [c])[:, 0]  # every split in one solve
    return [linear_svm.accuracy(w, X[te], y[te], classes) for w, (_, te) in zip(weights, splits)]


SOLVERS = {"batched": (_select_c_batched, _score_batched),
           "liblinear": (_select_c_liblinear, _score_liblinear)}


def svm_protocol(codes: np.ndarray, labels: np.ndarray, seed: int = 0, **options) -> dict:
    from sklearn.model_selection import StratifiedShuffleSplit, train_test_split  # lazy (registry.py)

    opt = {**DEFAULTS, **options}
    if opt["solver"] not in SOLVERS:
        raise ValueError(f"eval.svm.solver '{opt['solver']}' is unknown; use one of {', '.join(SOLVERS)}")
    select_c, score = SOLVERS[opt["solver"]]
    select_x, held_x, select_y, held_y = train_test_split(codes, labels, test_size=0.2,
                                                          stratify=labels, random_state=seed)
    c_grid = np.logspace(opt["c_min_log10"], opt["c_max_log10"], opt["n_c"])
    cv = StratifiedShuffleSplit(opt["select_splits"], test_size=opt["select_test_size"], random_state=42)
    best_c = select_c(select_x, select_y, c_grid, cv, opt)
    splitter = StratifiedShuffleSplit(opt["score_splits"], test_size=opt["score_test_size"],
                                      random_state=seed)
    scores = score(held_x, held_y, best_c, list(splitter.split(held_x, held_y)), opt)
    return {"svm_accuracy": float(np.mean(scores)), "svm_accuracy_std": float(np.std(scores)),
            "svm_C": best_c}


MIN_PER_CLASS = 20  # below this the 5% scoring splits cannot hold every class


PARAMETERS = {"svm.n_c": POSITIVE_INT, "svm.select_splits": POSITIVE_INT, "svm.score_splits": POSITIVE_INT,
              "svm.solver": Options(("batched", "liblinear"))}


@METRICS.register("svm", PARAMETERS)
def svm_accuracy(inputs: EvalInputs) -> dict:
    _, counts = np.unique(inputs.y_test, return_counts=True)
    options = dict(inputs.options.get("svm", {})) if inputs.options is not None else {}
    scored = 0.2 * len(inputs.y_test) * options.get("score_test_size", DEFAULTS["score_test_size"])
    if len(counts) < 2 or counts.min() < MIN_PER_CLASS or scored < len(counts):
        return {}  # too few codes for the protocol's splits
    return svm_protocol(inputs.code_test, inputs.y_test, inputs.seed, **options)
