"""Linear autoencoder: x_hat = W_d (W_e x + b_e) + b_d, trained on the mean squared error.

Its optimum spans the principal subspace of the data (Baldi & Hornik 1989; the lecture's
"linear AE = PCA" slide): the decoder's columns span the top-``code_size`` principal
components, though they need not be the components themselves (any invertible mix of them
reconstructs as well).
"""

from __future__ import annotations

from ..params import POSITIVE_INT
from . import MODELS, DataSpec
from .mlp_ae import MLPAutoEncoder, build_mlp

PARAMETERS = {"code_size": POSITIVE_INT}


@MODELS.register("linear_ae", PARAMETERS)
def build_linear_ae(cfg, spec: DataSpec) -> MLPAutoEncoder:
    return build_mlp(spec.n_features, [int(cfg.code_size)], "identity", "identity", "mse")
