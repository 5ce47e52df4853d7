"""Convolutional autoencoder (the lecture's, after the Keras blog "Building Autoencoders in Keras").

Encoder: for each of ``channels`` (default 16, 8, 8), a 3x3 convolution ('same' padding),
``activation`` and 2x2 max-pooling ('same': odd sizes round up, 28 -> 14 -> 7 -> 4); the code
is the last map flattened (8 x 4 x 4 = 128 on MNIST). Decoder: the channels reversed, each a
3x3 convolution, ``activation`` and 2x nearest upsampling, then a 3x3 convolution to the
image's channels and ``output`` (sigmoid). Upsampling doubles 4 -> 8 -> 16 -> 32, so the blog
makes one convolution 'valid' (16 -> 14) to land on 28: here the decoder picks the fewest,
latest 'valid' convolutions that land on the input size, and resizes at the end only when
none does. ``channels=[32, 32]`` is the blog's denoising AE (code 32 x 7 x 7).
"""

from __future__ import annotations

from itertools import combinations

from torch import nn

from ..errors import UsageError
from ..params import POSITIVE_INT, ListOf, Options
from . import MODELS, DataSpec
from ._autoencoder import AutoEncoder
from ._layers import ACTIVATIONS, activation
from ._reconstruction import LOSS_OPTION

PARAMETERS = {"channels": ListOf(POSITIVE_INT), "activation": Options(tuple(ACTIVATIONS)),
              "output": Options(("sigmoid", "identity")), "loss": LOSS_OPTION}


def pooled_sizes(size: int, stages: int) -> list[int]:
    """Spatial sizes through ``stages`` 'same' 2x2 poolings: [size, ceil(size/2), ...]."""
    sizes = [size]
    for _ in range(stages):
        sizes.append(-(-sizes[-1] // 2))
    return sizes


def valid_stages(start: tuple[int, ...], target: tuple[int, ...], stages: int) -> tuple[int, ...] | None:
    """Decoder stages whose convolution is 'valid' (size - 2) so that doubling ``stages`` times
    from ``start`` ends at ``target`` (each spatial dimension); the fewest, then the latest. None if no
    choice does."""
    for count in range(stages + 1):
        for chosen in combinations(reversed(range(stages)), count):
            ends = []
            for size in start:
                for stage in range(stages):
                    size = (size - 2 * (stage in chosen)) * 2
                ends.append(size)
            if tuple(ends) == target and all(s > 0 for s in ends):
                return chosen
    return None


def conv_encoder(shape: tuple[int, int, int], channels: list[int], act: str) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Unflatten(-1, shape)]
    for fan_in, fan_out in zip([shape[0], *channels[:-1]], channels):
        layers += [nn.Conv2d(fan_in, fan_out, 3, padding=1), activation(act), nn.MaxPool2d(2, ceil_mode=True)]
    return nn.Sequential(*layers, nn.Flatten(-3))


def conv_decoder(shape: tuple[int, int, int], channels: list[int], act: str) -> nn.Sequential:
    stages = len(channels)
    code_hw = tuple(pooled_sizes(s, stages)[-1] for s in shape[1:])
    valid = valid_stages(code_hw, tuple(shape[1:]), stages)
    widths = list(reversed(channels))
    layers: list[nn.Module] = [nn.Unflatten(-1, (channels[-1], *code_hw))]
    for stage, (fan_in, fan_out) in enumerate(zip([widths[0], *widths[:-1]], widths)):
        padding = 0 if valid is not None and stage in valid else 1
        layers += [nn.Conv2d(fan_in, fan_out, 3, padding=padding),
                   activation(act), nn.Upsample(scale_factor=2, mode="nearest")]
    if valid is None:
        layers.append(nn.Upsample(size=tuple(shape[1:]), mode="nearest"))
    return nn.Sequential(*layers, nn.Conv2d(widths[-1], shape[0], 3, padding=1), nn.Flatten(-3))


@MODELS.register("conv_ae", PARAMETERS)
def build_conv_ae(cfg, spec: DataSpec) -> AutoEncoder:
    if spec.image_shape is None or len(spec.image_shape) != 3:
        raise UsageError("model=conv_ae needs images (dataset=mnist, fashion_mnist, cifar10 or digits); "
                         "for tables use model=mlp_ae")
    channels = [int(c) for c in cfg.channels]
    if min(pooled_sizes(min(spec.image_shape[1:]), len(channels) - 1)) < 2:
        raise UsageError(f"model.channels has {len(channels)} poolings, too many for "
                         f"{spec.image_shape[1]}x{spec.image_shape[2]} images; give fewer channels")
    shape = tuple(int(s) for s in spec.image_shape)
    encoder = conv_encoder(shape, channels, cfg.activation)
    return AutoEncoder(encoder, conv_decoder(shape, channels, cfg.activation), cfg.output, cfg.loss)
