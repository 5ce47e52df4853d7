"""The epoch loop: in-memory tensors, batches by slicing a permutation, one sync per epoch."""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from ..errors import RunFailed


def make_optimizer(model: nn.Module, cfg) -> torch.optim.Optimizer:
    name = cfg.optimizer.lower()
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.get("momentum", 0.0),
                               weight_decay=cfg.weight_decay)
    from ..errors import UsageError

    raise UsageError(f"unknown train.optimizer '{cfg.optimizer}'; choose adam or sgd")


def train_epochs(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    cfg,
    epochs: int,
    generator: torch.Generator,
    after_backward: Callable[[], None] | None = None,
    after_step: Callable[[], None] | None = None,
    desc: str = "train",
    progress: bool = False,
) -> list[float]:
    """Train for ``epochs``; return the mean batch loss of each epoch.

    Stops with RunFailed as soon as an epoch's loss is NaN or infinite.
    """
    optimizer = make_optimizer(model, cfg)
    n = len(X)
    batch = int(cfg.batch_size)
    history = []
    model.train()
    bar = tqdm(range(epochs), desc=desc, leave=False, disable=not progress)
    for epoch in bar:
        order = torch.randperm(n, generator=generator).to(X.device)
        total = torch.zeros((), device=X.device)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            xb, yb = X[idx], y[idx]
            loss, _ = model.loss(xb, yb, model(xb))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if after_backward:
                after_backward()
            optimizer.step()
            if after_step:
                after_step()
            total += loss.detach()
        epoch_loss = float(total) / math.ceil(n / batch)
        if not math.isfinite(epoch_loss):
            raise RunFailed(
                f"{desc}: loss became {epoch_loss} at epoch {epoch + 1}; lower train.lr or check "
                "the data for extreme values"
            )
        history.append(epoch_loss)
        bar.set_postfix(loss=f"{epoch_loss:.4g}")
    return history
