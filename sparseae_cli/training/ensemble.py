"""Train the folds and seeds of one configuration as a single stacked ensemble.

Tiny layers at batch size 8 spend their time in per-step overhead, so the E models of
a cross-validation run are trained at once: every ``nn.Linear`` becomes a
``StackedLinear`` holding E weight matrices and computing one batched product per
layer. Each member sees exactly the batches it would see alone (same generator, same
permutations); ragged last batches are padded with zero-weight samples. The summed
loss gives every member its own gradient, and Adam is element-wise, so the ensemble
follows the same trajectory as E separate runs, up to float rounding. Every member's
random draws come from its own generator (``TrainingContext``), so stochastic models
stack too. A model opts out with ``stackable = False``.
"""

from __future__ import annotations

import copy
import inspect

import torch
from torch import nn

from ..models.base import GradientModel
from .context import TrainingContext

SUPPORTED = (nn.Linear, nn.Sequential, nn.ReLU, nn.Tanh, nn.SiLU, nn.GELU, nn.ELU, nn.Sigmoid,
             nn.Identity)


class _StackedAffine(torch.autograd.Function):
    """y = x W^T + b per member, with the weight gradient computed as g^T x.

    Autograd's own backward of baddbmm(b, x, W^T) yields the weight gradient transposed,
    then copies it into W's layout; at batch 8 that copy costs as much as the products.
    New-style (``setup_context``, generated vmap rule) so that torch.func's jacrev, vjp and
    vmap work on stacked models (input Jacobians of contractive penalties).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x, weight, bias):
        return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, _ = inputs
        ctx.save_for_backward(x, weight)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        # Under train.precision=bf16 the forward ran in bfloat16, but autocast is off here.
        grad, x = grad.to(weight.dtype), x.to(weight.dtype)
        grad_x = torch.bmm(grad, weight) if ctx.needs_input_grad[0] else None
        return grad_x, torch.bmm(grad.transpose(1, 2), x), grad.sum(1)


# Function.apply binds the arguments of a setup_context-style Function through inspect.signature at
# every call, which computes the signature anew unless the function carries it: 48 -> 35 us a call.
_StackedAffine.forward.__signature__ = inspect.signature(_StackedAffine.forward)


class StackedLinear(nn.Module):
    """E independent linear layers applied to inputs of shape (E, B, in)."""

    def __init__(self, layers: list[nn.Linear]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.stack([layer.weight.detach() for layer in layers]).clone())
        self.bias = nn.Parameter(torch.stack([layer.bias.detach() for layer in layers]).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _StackedAffine.apply(x, self.weight, self.bias)


def can_stack(model: nn.Module) -> bool:
    """Only gradient models that allow it (``stackable``) made of Linear layers (with bias)
    and element-wise activations are stacked."""
    return isinstance(model, GradientModel) and model.stackable and all(
        isinstance(m, SUPPORTED) and (not isinstance(m, nn.Linear) or m.bias is not None)
        for name, m in model.named_modules() if name
    )


def stack_models(models: list[nn.Module]) -> nn.Module:
    """A copy of ``models[0]`` whose Linear layers hold the weights of every model."""
    stacked = copy.deepcopy(models[0])
    for name, module in list(stacked.named_modules()):
        if isinstance(module, nn.Linear):
            layers = [m.get_submodule(name) for m in models]
            parent_name, _, child = name.rpartition(".")
            parent = stacked.get_submodule(parent_name) if parent_name else stacked
            setattr(parent, child, StackedLinear(layers))
    return stacked


@torch.no_grad()
def unstack_into(stacked: nn.Module, models: list[nn.Module]) -> None:
    """Copy member e's slice of every stacked parameter into ``models[e]``."""
    for name, param in stacked.named_parameters():
        for member, model in zip(param, models):
            model.get_parameter(name).copy_(member)


class StackedBatches:
    """The mini-batches of E training sets (named columns, as ``loop.Batches``), member e
    drawing its batch order and its noise from its own generator.

    Every member must have the same number of batches per epoch (CV folds of one data
    set differ by at most a sample, so they do); shorter batches are padded at their end
    with zero-weight rows (the batch's ``weight``).
    """

    def __init__(self, sets: list[dict[str, torch.Tensor]], batch_size: int,
                 generators: list[torch.Generator]) -> None:
        self.sizes = [len(columns["x"]) for columns in sets]
        self.batch_size = batch_size
        self.generators = generators
        n_max = max(self.sizes)
        self.columns = {}
        for name, first in sets[0].items():
            stacked = torch.zeros(len(sets), n_max, *first.shape[1:], dtype=first.dtype, device=first.device)
            for e, columns in enumerate(sets):
                stacked[e, : len(columns[name])] = columns[name]
            self.columns[name] = stacked

    @staticmethod
    def compatible(sizes: list[int], batch_size: int) -> bool:
        return len({-(-n // batch_size) for n in sizes}) == 1

    def __len__(self) -> int:
        return -(-self.sizes[0] // self.batch_size)

    def random_state(self) -> torch.Tensor:
        return torch.stack([g.get_state() for g in self.generators])

    def set_random_state(self, state: torch.Tensor) -> None:
        for g, member_state in zip(self.generators, state):
            g.set_state(member_state.clone())

    def epoch(self, number: int = 0):
        E = len(self.sizes)
        device = self.columns["x"].device
        order = torch.zeros(E, len(self) * self.batch_size, dtype=torch.int64)
        valid = torch.zeros(E, len(self) * self.batch_size)
        for e, (n, g) in enumerate(zip(self.sizes, self.generators)):
            order[e, :n] = torch.randperm(n, generator=g)
            valid[e, :n] = 1.0
        order, valid = order.to(device), valid.to(device)
        rows = torch.arange(E, device=device)[:, None]
        for i, start in enumerate(range(0, order.shape[1], self.batch_size)):
            idx = order[:, start : start + self.batch_size]
            batch = {name: column[rows, idx] for name, column in self.columns.items()}
            batch["weight"] = valid[:, start : start + self.batch_size]
            real = tuple(max(0, min(self.batch_size, n - start)) for n in self.sizes)
            yield batch, TrainingContext(tuple(self.generators), real, number, number * len(self) + i)
