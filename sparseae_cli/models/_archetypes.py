"""Simplex geometry shared by the archetypal models (AAnet and its PCA baseline).

A point z of R^(k-1) has barycentric coordinates b (sum b = 1) with respect to the vertices
V (k x (k-1)) of a simplex when z = b V; it lies inside the simplex when every b_j >= 0.
"""

from __future__ import annotations

import numpy as np
import torch


def regular_simplex(k: int, scale: float = 1.0) -> np.ndarray:
    """The k vertices (k x (k-1)) of a regular simplex centred at the origin, edge sqrt(2) x scale:
    the centred unit vectors of R^k written in an orthonormal basis of their hyperplane."""
    centred = np.eye(k) - 1.0 / k
    basis = np.linalg.svd(centred)[2][: k - 1]  # rows span the hyperplane sum = 0
    return scale * centred @ basis.T


def barycentric_map(vertices: np.ndarray) -> np.ndarray:
    """M ((k x k)) with b = M [z; 1]: the inverse of [V^T; 1^T] (affinely independent vertices)."""
    k = len(vertices)
    return np.linalg.inv(np.vstack([vertices.T, np.ones((1, k))]))


def to_barycentric(z: torch.Tensor, mapping: torch.Tensor) -> torch.Tensor:
    """Barycentric coordinates (..., k) of points z (..., k-1), with ``mapping`` = barycentric_map."""
    affine = torch.cat([z, torch.ones_like(z[..., :1])], dim=-1)
    return affine @ mapping.T


def outside_distance(b: torch.Tensor) -> torch.Tensor:
    """sum_j max(-b_j, 0): how far outside the simplex a point is, in barycentric terms (AAnet's
    archetypal loss squares it)."""
    return (-b).clamp_min(0).sum(-1)


def furthest_sum(points: np.ndarray, k: int) -> np.ndarray:
    """Indices of k points spread over the data's hull (Morup & Hansen 2012's FurthestSum
    initialisation of archetypal analysis): start from the point furthest from the mean, then
    repeatedly add the point with the largest summed distance to those chosen."""
    distance_sum = np.zeros(len(points))
    chosen = [int(np.argmax(np.linalg.norm(points - points.mean(0), axis=1)))]
    for _ in range(k - 1):
        distance_sum += np.linalg.norm(points - points[chosen[-1]], axis=1)
        distance_sum[chosen] = -np.inf
        chosen.append(int(np.argmax(distance_sum)))
    return np.array(chosen)
