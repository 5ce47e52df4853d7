"""Additive Gaussian noise: x~ = x + noise_factor * N(0, 1) (the Keras blog's denoising AE, 0.5)."""

from ..params import NON_NEGATIVE
from . import CORRUPTIONS


@CORRUPTIONS.register("gaussian", {"noise_factor": NON_NEGATIVE.means("the noise's standard deviation")})
def gaussian_noise(x, noise_factor, ctx):
    return x + noise_factor * ctx.normal_like(x)
