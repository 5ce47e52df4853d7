"""Retrieval with binary codes (semantic hashing, Salakhutdinov & Hinton 2009; the lecture's
information-retrieval slide): each test image queries the other test images by Hamming distance
between codes; ``retrieval_precision`` is the fraction of its ``eval.retrieval_k`` nearest that
share its class (ties broken by index). ``retrieval_precision_pca`` is the same with the
classical baseline: PCA codes of equal length (fitted on the training images), binarised at 0
(each component's training mean). Computed only when the codes are binary.
"""

from __future__ import annotations

import numpy as np

from ..params import POSITIVE_INT
from . import METRICS, EvalInputs

DEFAULT_K = 10
CHUNK = 1024


def hamming_precision(codes: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Mean fraction of same-class items among each item's k nearest others by Hamming distance."""
    bits = codes.astype(np.float32)
    k = min(k, len(bits) - 1)
    hits = []
    for start in range(0, len(bits), CHUNK):
        block = bits[start : start + CHUNK]
        # Hamming distance = ones(a) + ones(b) - 2 a.b for 0/1 vectors
        distance = block.sum(1, keepdims=True) + bits.sum(1)[None] - 2 * block @ bits.T
        distance[np.arange(len(block)), np.arange(start, start + len(block))] = np.inf  # not itself
        nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
        hits.append((labels[nearest] == labels[start : start + len(block), None]).mean(1))
    return float(np.concatenate(hits).mean())


def pca_bits(x_train: np.ndarray, x_test: np.ndarray, n_bits: int, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA  # lazy (registry.py)

    pca = PCA(n_components=n_bits, random_state=seed).fit(x_train)
    return (pca.transform(x_test) > 0).astype(np.uint8)


@METRICS.register("retrieval", {"retrieval_k": POSITIVE_INT})
def retrieval(inputs: EvalInputs) -> dict:
    codes = inputs.code_test
    if codes is None or len(codes) < 2 or not np.isin(codes, (0, 1)).all():
        return {}
    k = int(inputs.options.get("retrieval_k", DEFAULT_K)) if inputs.options else DEFAULT_K
    result = {"retrieval_precision": hamming_precision(codes, inputs.y_test, k)}
    n_bits = codes.shape[1]
    if inputs.x_train is not None and n_bits <= min(inputs.x_train.shape):
        baseline = pca_bits(inputs.x_train, inputs.x_test, n_bits, inputs.seed)
        result["retrieval_precision_pca"] = hamming_precision(baseline, inputs.y_test, k)
    return result
