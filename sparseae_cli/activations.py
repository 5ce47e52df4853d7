"""Decoder output activations by name, for code that recomputes a decoder from its atoms.

A dictionary model (``models.base.Dictionary``) names its output non-linearity; the
dilation metric and the figures look the name up here instead of parsing a string. The
names are those saved in ``dictionary_*.npz`` files, so older run folders still read.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from .registry import Registry

DECODER_ACTIVATIONS: Registry = Registry("decoder activation")

DECODER_ACTIVATIONS.register("identity")(torch.nn.Identity())
# The lecture's AEs on images in [0, 1] (the Keras blog's sigmoid output layer).
DECODER_ACTIVATIONS.register("sigmoid")(torch.sigmoid)
# The part-based AE report's decoder: LeakyReLU with slope 0.1 (Ponchon 2018).
DECODER_ACTIVATIONS.register("leaky_relu:0.1")(functools.partial(F.leaky_relu, negative_slope=0.1))


def activate(z: torch.Tensor, name: str | None) -> torch.Tensor:
    """``z`` through the decoder activation ``name`` (None: identity)."""
    return DECODER_ACTIVATIONS.get(name or "identity")(z)
