"""Small building blocks shared by model families."""

from __future__ import annotations

from torch import nn

from ..errors import UsageError

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "silu": nn.SiLU, "gelu": nn.GELU,
               "elu": nn.ELU, "sigmoid": nn.Sigmoid, "identity": nn.Identity}


def activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise UsageError(f"unknown activation '{name}'; choose one of: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def mlp(sizes: list[int], hidden_activation: str, output_activation: str | None = None):
    """Linear layers with an activation after every hidden layer (none on the last,
    unless ``output_activation`` is given)."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(activation(hidden_activation))
    if output_activation and output_activation != "identity":
        layers.append(activation(output_activation))
    return nn.Sequential(*layers)
