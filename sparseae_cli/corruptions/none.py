"""No corruption: the plain (not denoising) autoencoder."""

from ..params import NON_NEGATIVE
from . import CORRUPTIONS


@CORRUPTIONS.register("none", {"noise_factor": NON_NEGATIVE.means("the noise level (unused here)")})
def no_corruption(x, noise_factor, ctx):
    return x
