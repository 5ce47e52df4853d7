"""Max-approximation error to dilation (Ponchon et al., ISMM 2019; report sec. 1.6).

Dilate every decoder atom by the 3x3 cross (the disk of radius 1; not the bias), decode
the unchanged codes with the dilated atoms, and compare with the dilated inputs:
    E = (1 / (M N)) sum_i || sigma(delta(W)^T h_i + b) - delta(x_i) ||^2,
and the variant against the dilated reconstructions delta(x_hat_i).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..activations import activate
from . import METRICS, EvalInputs


def dilate_cross(images: torch.Tensor) -> torch.Tensor:
    """Flat grey-scale dilation by the 3x3 cross of (..., H, W) images: the max of the pixel
    and its 4 neighbours (borders padded with -inf, so only pixels inside count)."""
    padded = F.pad(images, (1, 1, 1, 1), value=float("-inf"))
    centre = padded[..., 1:-1, 1:-1]
    up, down = padded[..., :-2, 1:-1], padded[..., 2:, 1:-1]
    left, right = padded[..., 1:-1, :-2], padded[..., 1:-1, 2:]
    return torch.stack([centre, up, down, left, right]).amax(dim=0)


def _as_images(flat: torch.Tensor, shape) -> torch.Tensor:
    return flat.reshape(len(flat), *shape)


@METRICS.register("dilation")
def max_approximation_error(inputs: EvalInputs) -> dict:
    if inputs.atoms is None or inputs.image_shape is None or inputs.x_test is None:
        return {}
    shape = tuple(inputs.image_shape)
    atoms = torch.as_tensor(inputs.atoms, dtype=torch.float64)
    codes = torch.as_tensor(inputs.code_test, dtype=torch.float64)
    x = torch.as_tensor(inputs.x_test, dtype=torch.float64)
    dilated_atoms = dilate_cross(_as_images(atoms, shape)).reshape(len(atoms), -1)
    z = codes @ dilated_atoms
    if inputs.decoder_bias is not None:
        z = z + torch.as_tensor(inputs.decoder_bias, dtype=torch.float64)
    approx = activate(z, inputs.decoder_activation)
    result = {"max_approx_error": float(((approx - dilate_cross(_as_images(x, shape)).reshape(len(x), -1)) ** 2)
                                        .mean())}
    if inputs.reconstruction_test is not None:
        rec = torch.as_tensor(np.asarray(inputs.reconstruction_test), dtype=torch.float64)
        target = dilate_cross(_as_images(rec, shape)).reshape(len(rec), -1)
        result["max_approx_error_to_reconstruction"] = float(((approx - target) ** 2).mean())
    return result
