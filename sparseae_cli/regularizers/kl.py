"""KL divergence between a Bernoulli(p) target and each unit's mean activation t_j:
S = p log(p / t_j) + (1 - p) log((1 - p) / (1 - t_j)); t is clipped to [1e-7, 1 - 1e-7]
(the reference clips below only; the upper clip keeps the log finite at t = 1).
Needs codes in (0, 1), e.g. a sigmoid encoder."""

import torch

from . import PROBABILITY_TARGET, REGULARIZERS, Penalized


@REGULARIZERS.register("kl", PROBABILITY_TARGET)
def kl_penalty(term: Penalized, cfg) -> torch.Tensor:
    p = float(cfg.p)
    t = term.unit_means().clamp(1e-7, 1 - 1e-7)
    terms = p * torch.log(p / t) + (1 - p) * torch.log((1 - p) / (1 - t))
    return float(cfg.beta) * terms.sum()
