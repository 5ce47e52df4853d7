"""Linear-SVM accuracy of the test codes, with the part-based AE report's protocol.

Only the test codes are used, unscaled: a stratified 80/20 split; C chosen by grid search
(LinearSVC, L2 penalty, squared hinge, one-vs-rest) with stratified shuffle splits on
the 80%; then, on the 20% held out, LinearSVC(C) is fitted and scored on repeated
stratified splits (95% / 5%), and the mean and std of those scores are reported.
The report used 30 values of C and 15 selection splits; the defaults here (eval.svm)
are smaller so that the metric takes well under a minute on 10,000 codes.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedShuffleSplit, train_test_split
from sklearn.svm import LinearSVC

from . import METRICS, EvalInputs

DEFAULTS = {"n_c": 30, "c_min_log10": -2, "c_max_log10": 3, "select_splits": 15,
            "select_test_size": 0.08, "score_splits": 25, "score_test_size": 0.05, "n_jobs": 1,
            "max_iter": 2000}


def svm_protocol(codes: np.ndarray, labels: np.ndarray, seed: int = 0, **options) -> dict:
    opt = {**DEFAULTS, **options}
    select_x, held_x, select_y, held_y = train_test_split(codes, labels, test_size=0.2,
                                                          stratify=labels, random_state=seed)
    grid = GridSearchCV(
        LinearSVC(dual=False, max_iter=opt["max_iter"]),
        {"C": np.logspace(opt["c_min_log10"], opt["c_max_log10"], opt["n_c"])},
        cv=StratifiedShuffleSplit(opt["select_splits"], test_size=opt["select_test_size"],
                                  random_state=42),
        refit=False, n_jobs=opt["n_jobs"],
    ).fit(select_x, select_y)
    best_c = float(grid.best_params_["C"])
    scores = []
    splitter = StratifiedShuffleSplit(opt["score_splits"], test_size=opt["score_test_size"],
                                      random_state=seed)
    for train, test in splitter.split(held_x, held_y):
        model = LinearSVC(C=best_c, dual=False, max_iter=opt["max_iter"]).fit(held_x[train], held_y[train])
        scores.append(model.score(held_x[test], held_y[test]))
    return {"svm_accuracy": float(np.mean(scores)), "svm_accuracy_std": float(np.std(scores)),
            "svm_C": best_c}


MIN_PER_CLASS = 20  # below this the 5% scoring splits cannot hold every class


@METRICS.register("svm")
def svm_accuracy(inputs: EvalInputs) -> dict:
    _, counts = np.unique(inputs.y_test, return_counts=True)
    options = dict(inputs.options.get("svm", {})) if inputs.options is not None else {}
    scored = 0.2 * len(inputs.y_test) * options.get("score_test_size", DEFAULTS["score_test_size"])
    if len(counts) < 2 or counts.min() < MIN_PER_CLASS or scored < len(counts):
        return {}  # too few codes for the protocol's splits
    return svm_protocol(inputs.code_test, inputs.y_test, inputs.seed, **options)
