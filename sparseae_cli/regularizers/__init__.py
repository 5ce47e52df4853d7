"""Activation-sparsity regularisers: ``penalty(code, cfg) -> scalar``.

A code has shape (..., B, k): B samples of k units, with optional leading dimensions
for stacked ensembles (each member is penalised on its own batch, then summed).
Following the part-based AE report (Ponchon 2018, sec. 3.2) and its code, the target
is the mean activation of each unit over the batch, t_j = mean_i h_ij, and the
penalty is beta * sum_j S(p, t_j). Any model that exposes a code can use them.
"""

from ..registry import Registry, load_plugins

REGULARIZERS: Registry = Registry("regularizer")

load_plugins(__name__)
