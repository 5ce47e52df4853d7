"""SAUCIE's regularisers and cluster read-out (Amodio, van Dijk, Srinivasan et al., "Exploring
single-cell data with deep multitasking neural networks", Nat. Methods 2019; the Yale lecture's
"Information Dimension regularization" and "Mean Maximal Discrepancy" slides). Each is a function
of one batch's tensors; ``models.saucie`` weighs them with its lambdas.
"""

from __future__ import annotations

import numpy as np
import torch

# The reference's kernel bandwidths: s plays the role of sigma^2 in exp(-D / (2 s)).
SCALES = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 100.0,
          1e3, 1e4, 1e5, 1e6)
ENTROPY_EPS = 1e-9
ACTIVE = 1e-6  # an activation above this, after division by the maximum, is "on"


def multiscale_kernel(sq_distances: torch.Tensor) -> torch.Tensor:
    """K(D) = (1/19) sum_s exp(-D / (2 s)) over SAUCIE's 19 bandwidths s."""
    scales = sq_distances.new_tensor(SCALES)
    return torch.exp(-sq_distances.unsqueeze(-1) / (2 * scales)).mean(-1)


def normalised_activations(layer: torch.Tensor) -> torch.Tensor:
    """a = A / max(A), one scalar maximum over the batch (the reference's)."""
    return layer / layer.max().clamp_min(torch.finfo(layer.dtype).tiny)


def information_dimension(layer: torch.Tensor) -> torch.Tensor:
    """The ID regulariser: the entropy -sum_k p_k log(p_k + 1e-9) of the neuron-usage distribution
    p_k = sum_i a_ik / sum_ik a_ik, a = A / max(A), A the clustering layer's (ReLU) activations.
    Low entropy = few neurons in use, which pushes the layer towards a binary-like code."""
    a = normalised_activations(layer)
    usage = a.sum(0) / a.sum().clamp_min(torch.finfo(a.dtype).tiny)
    return -(usage * torch.log(usage + ENTROPY_EPS)).sum()


def within_cluster_distance(layer: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """mean_ij D^x_ij S_ij: input distances D^x_ij = sqrt(||x_i - x_j||^2 + 1e-3) weighted by the
    similarity S = K(||a_i - a_j||^2) of the normalised clustering codes, min-max scaled to [0, 1]
    over the batch (all B^2 pairs, i = j included, as the reference). Cells that share a code are
    pulled together in input space, so clusters are compact."""
    a = normalised_activations(layer)
    similarity = multiscale_kernel(torch.cdist(a, a).square())
    low, high = similarity.min(), similarity.max()
    similarity = (similarity - low) / (high - low).clamp_min(torch.finfo(a.dtype).tiny)
    input_distance = torch.sqrt(torch.cdist(x, x).square() + 1e-3)
    return (input_distance * similarity).mean()


def mmd(embedding: torch.Tensor, groups: torch.Tensor, reference: int = 0) -> torch.Tensor:
    """sum over non-reference batches g of |MMD(reference, g)| on the embedding (Gretton et al.
    2012; Dziugaite et al. UAI 2015, the lecture's slide), with K the multi-scale kernel on
    D = ||e_i - e_j||^2 / max D. e = embedding / mean|embedding| (the reference divides by the
    plain mean, which can be ~0 or negative). MMD = mean K_rr + mean K_gg - 2 mean K_rg. The
    reference trains one model per non-reference batch; the sum extends it to several batches.
    0 when the batch lacks the reference or any other batch."""
    e = embedding / embedding.abs().mean().clamp_min(torch.finfo(embedding.dtype).tiny)
    sq = torch.cdist(e, e).square()
    kernel = multiscale_kernel(sq / sq.max().clamp_min(torch.finfo(sq.dtype).tiny))
    is_reference = groups == reference
    total = embedding.new_zeros(())
    if not is_reference.any():
        return total
    within_reference = kernel[is_reference][:, is_reference].mean()
    for group in torch.unique(groups[~is_reference]):
        other = groups == group
        total = total + (within_reference + kernel[other][:, other].mean()
                         - 2 * kernel[is_reference][:, other].mean()).abs()
    return total


def standardise(values: torch.Tensor) -> torch.Tensor:
    """(v - mean) / (sqrt(var + 1e-6) + 1e-6) per feature over the rows (the reference's)."""
    mean = values.mean(0)
    var = values.var(0, unbiased=False)
    return (values - mean) / (torch.sqrt(var + 1e-6) + 1e-6)


def batch_corrected_reconstruction(reconstruction: torch.Tensor, x: torch.Tensor, groups: torch.Tensor,
                                   reference: int = 0, weight: float = 0.01) -> torch.Tensor:
    """SAUCIE's reconstruction loss under batch correction: MSE on the reference batch's rows,
    plus ``weight`` x MSE between the standardised reconstructions and inputs of the other rows
    (so they may move in absolute terms, towards the reference, but keep their structure)."""
    is_reference = groups == reference
    loss = reconstruction.new_zeros(())
    if is_reference.any():
        loss = loss + (reconstruction[is_reference] - x[is_reference]).square().mean()
    others = ~is_reference
    if others.sum() > 1:
        loss = loss + weight * (standardise(reconstruction[others]) - standardise(x[others])).square().mean()
    return loss


def binary_clusters(layer: np.ndarray, min_size: int) -> np.ndarray:
    """SAUCIE's cluster read-out: divide the clustering layer's activations over the whole set by
    their maximum, binarise at 1e-6, and make every distinct binary code held by more than
    ``min_size`` cells a cluster (numbered by decreasing size); the other cells get -1
    ("unassigned")."""
    top = layer.max()
    return clusters_of_codes(np.packbits(layer > ACTIVE * top if top > 0 else np.zeros(layer.shape, bool), axis=1),
                             min_size)


def clusters_of_codes(packed: np.ndarray, min_size: int) -> np.ndarray:
    """Cluster numbers (by decreasing size; -1 for codes held by ``min_size`` cells or fewer) of
    binary codes packed 8 to a byte (``np.packbits(codes, axis=1)``). Each row is compared as one
    byte string, so a million 512-bit codes sort in about a second."""
    rows = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    _, inverse, counts = np.unique(rows, return_inverse=True, return_counts=True)
    kept = np.flatnonzero(counts > min_size)
    kept = kept[np.argsort(-counts[kept], kind="stable")]
    numbering = np.full(len(counts), -1, dtype=np.int64)
    numbering[kept] = np.arange(len(kept))
    return numbering[inverse.reshape(-1)]
