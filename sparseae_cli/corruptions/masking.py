"""Masking noise (Vincent et al. 2008): each entry set to 0 with probability noise_factor."""

from ..params import Interval
from . import CORRUPTIONS


@CORRUPTIONS.register("masking", {"noise_factor": Interval(float, 0, 1).means("the fraction of entries zeroed")})
def masking_noise(x, noise_factor, ctx):
    return x * (ctx.uniform_like(x) >= noise_factor).to(x.dtype)
