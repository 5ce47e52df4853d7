"""Asymmetric part-based AE (Ponchon 2018, sec. 4.1): a deep convolutional encoder and a
single dense decoder layer.

Encoder: conv 64 4x4/2 -> LeakyReLU 0.1 -> conv 128 4x4/2 -> BN -> LeakyReLU 0.1 ->
dense 1024 -> BN -> LeakyReLU 0.1 -> dense k -> sigmoid. Keras 'same' padding with a
4x4 kernel and stride 2 (28 -> 14 -> 7) is PyTorch's padding=1. Keras' BatchNorm
(momentum 0.99, eps 1e-3) is PyTorch's momentum=0.01, eps=1e-3.
"""

from torch import nn

from ..errors import UsageError
from . import MODELS, DataSpec
from ._dictionary_ae import NEGATIVE_SLOPE, PARAMETERS, DictionaryAE

BN = {"momentum": 0.01, "eps": 1e-3}


def conv_encoder(channels: int, height: int, width: int, k: int) -> nn.Sequential:
    flat = 128 * ((height + 3) // 4) * ((width + 3) // 4)
    return nn.Sequential(
        nn.Unflatten(1, (channels, height, width)),
        nn.Conv2d(channels, 64, 4, stride=2, padding=1), nn.LeakyReLU(NEGATIVE_SLOPE),
        nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.BatchNorm2d(128, **BN),
        nn.LeakyReLU(NEGATIVE_SLOPE),
        nn.Flatten(), nn.Linear(flat, 1024), nn.BatchNorm1d(1024, **BN), nn.LeakyReLU(NEGATIVE_SLOPE),
        nn.Linear(1024, k), nn.Sigmoid(),
    )


@MODELS.register("asym_ae", PARAMETERS)
def build_asym_ae(cfg, spec: DataSpec) -> DictionaryAE:
    if spec.image_shape is None or len(spec.image_shape) != 3:
        raise UsageError("model=asym_ae needs image data (a dataset with an image shape), "
                         "e.g. dataset=fashion_mnist")
    k = int(cfg.code_size)
    encoder = conv_encoder(*spec.image_shape, k)
    return DictionaryAE(encoder, k, spec.n_features, float(cfg.decay_alpha), float(cfg.decay_lambda))
