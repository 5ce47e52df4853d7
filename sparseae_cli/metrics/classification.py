"""Classification quality of a supervised code: accuracy, balanced accuracy, macro F1, ROC AUC.

ROC AUC uses the predicted probabilities (one-vs-rest macro average for k > 2),
not hard labels as the reference code did.
"""

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score

from . import METRICS, EvalInputs


def _roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    present = np.unique(y)
    if len(present) < 2:
        return float("nan")
    if proba.shape[1] == 2:
        return float(roc_auc_score(y, proba[:, 1]))
    if len(present) < proba.shape[1]:
        # A test fold without some class: score the classes present, renormalised.
        sub = proba[:, present] / proba[:, present].sum(1, keepdims=True)
        return float(roc_auc_score(np.searchsorted(present, y), sub, multi_class="ovr"))
    return float(roc_auc_score(y, proba, multi_class="ovr", average="macro"))


@METRICS.register("classification")
def classification(inputs: EvalInputs) -> dict:
    if inputs.proba_test is None:
        return {}
    predicted = inputs.proba_test.argmax(1)
    y = inputs.y_test
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(y, predicted)),
        "f1_macro": float(f1_score(y, predicted, average="macro", zero_division=0)),
        "roc_auc": _roc_auc(y, inputs.proba_test),
    }
