"""Weight sparsity of the constrained parameters and the input features they keep."""

import numpy as np

from . import METRICS, EvalInputs


@METRICS.register("sparsity")
def sparsity(inputs: EvalInputs) -> dict:
    if not inputs.weights:
        return {}
    total = sum(w.size for w in inputs.weights.values())
    zeros = sum(int((w == 0).sum()) for w in inputs.weights.values())
    result = {"weight_sparsity": zeros / total}
    first = inputs.weights.get(inputs.first_layer) if inputs.first_layer else None
    if first is not None and first.ndim == 2:
        kept = np.nonzero(np.abs(first).sum(axis=0) > 0)[0]
        result["features_kept"] = int(len(kept))
        result["features_total"] = int(first.shape[1])
        if inputs.feature_names:
            # Ranked by the l2 norm of the feature's column, largest first.
            score = np.linalg.norm(first[:, kept], axis=0)
            order = kept[np.argsort(-score, kind="stable")]
            result["kept_features"] = [inputs.feature_names[i] for i in order]
    return result
