"""Shallow part-based AE (Ponchon 2018, sec. 3.1): features -> k (sigmoid) -> features."""

from torch import nn

from . import MODELS, DataSpec
from ._dictionary_ae import PARAMETERS, DictionaryAE


@MODELS.register("shallow_ae", PARAMETERS)
def build_shallow_ae(cfg, spec: DataSpec) -> DictionaryAE:
    k = int(cfg.code_size)
    encoder = nn.Sequential(nn.Linear(spec.n_features, k), nn.Sigmoid())
    return DictionaryAE(encoder, k, spec.n_features, float(cfg.decay_alpha), float(cfg.decay_lambda))
