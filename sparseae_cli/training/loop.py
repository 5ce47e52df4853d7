"""The epoch loop: in-memory tensors, batches by slicing a permutation, one sync per epoch."""

from __future__ import annotations

import contextlib
import logging
import math
import time
from typing import Callable, Iterator

import torch
from torch import nn
from tqdm.auto import tqdm

from ..corruptions import make_corruption
from ..errors import RunFailed
from ..loggers import epoch_ended
from .checkpoint import Checkpoint
from .context import TrainingContext
from .optimizers import make_optimizer

log = logging.getLogger("sparseae")


class Batches:
    """Mini-batches of one training set, as named mappings (``x``, ``y``, ``group``, ...).

    A fresh permutation per epoch comes from ``generator``, which is also the random stream
    of the model's draws (``TrainingContext``): checkpoints save it, so a resumed run repeats
    both the batch order and the noise.
    """

    def __init__(self, columns: dict[str, torch.Tensor], batch_size: int,
                 generator: torch.Generator) -> None:
        self.columns, self.batch_size, self.generator = dict(columns), batch_size, generator
        self.n = len(self.columns["x"])

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def random_state(self) -> torch.Tensor:
        return self.generator.get_state()

    def set_random_state(self, state: torch.Tensor) -> None:
        self.generator.set_state(state)

    def epoch(self, number: int = 0) -> Iterator[tuple[dict[str, torch.Tensor], TrainingContext]]:
        device = self.columns["x"].device
        order = torch.randperm(self.n, generator=self.generator).to(device)
        for i, start in enumerate(range(0, self.n, self.batch_size)):
            idx = order[start : start + self.batch_size]
            ctx = TrainingContext((self.generator,), None, number, number * len(self) + i)
            yield {name: column[idx] for name, column in self.columns.items()}, ctx


def _not_the_profiler_note(record: logging.LogRecord) -> bool:
    # torch.compile warns that the optimiser's built-in profiler label is dropped: true and
    # harmless, but it would print in every compiled run's log.
    return not str(record.msg).startswith("Profiler record function")


logging.getLogger("torch._dynamo.variables.ctx_manager").addFilter(_not_the_profiler_note)


def compiled(eager: Callable, option: str) -> Callable:
    """``eager`` compiled by torch.compile. If compiling fails (no C++ compiler, an operation the
    backend cannot take), warn once naming ``option`` and keep the eager function: a failed
    compilation has computed nothing yet, so the call is simply made eagerly."""
    # Static shapes: an epoch has two batch sizes (full and last), two specialised graphs, where
    # dynamic ones would compile a slower generic graph at the second size.
    fast = torch.compile(eager, dynamic=False)
    failed = False

    def call(*args):
        nonlocal failed
        if failed:
            return eager(*args)
        try:
            return fast(*args)
        except Exception as error:  # torch raises backend-specific types, at any recompilation
            if not _is_compilation_error(error):
                raise
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            log.warning("%s: compiling failed (%s); running eagerly", option, first_line[:200])
            failed = True
            return eager(*args)

    return call


def _is_compilation_error(error: Exception) -> bool:
    """Raised by torch.compile's tracing or code generation (or a missing compiler), not by the
    model's own code (a RunFailed, a shape error in the data) which must stop the run."""
    from torch._dynamo.exc import TorchDynamoException

    return isinstance(error, TorchDynamoException) or "compiler" in str(error).lower()


def compiled_step(optimizer: torch.optim.Optimizer) -> Callable[[], None]:
    """``optimizer.step`` compiled into one fused kernel (``train.compile_optimizer``)."""
    return compiled(optimizer.step, "train.compile_optimizer")


def batch_loss(model: nn.Module, penalty, precision: str) -> Callable:
    """(batch, ctx) -> the loss of one batch: forward (in ``precision``), the outputs in float32,
    the model's loss plus the penalty. What ``train.compile`` compiles (backward follows through
    the compiled graph, by AOTAutograd)."""
    def compute(batch: dict, ctx: TrainingContext) -> torch.Tensor:
        with mixed_precision(precision, batch["x"].device):
            outputs = as_float32(model(batch, ctx))  # no copy for float32 outputs
        loss, _ = model.loss(batch, outputs, ctx)
        if penalty is not None:
            extra = penalty(batch, outputs, ctx)
            if extra is not None:
                loss = loss + extra
        return loss

    return compute


PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


def mixed_precision(precision: str, device: torch.device):
    """The autocast context of ``train.precision``: bf16 runs the products (matmuls,
    convolutions) in bfloat16 with float32 weights and accumulation; fp32 changes nothing."""
    dtype = PRECISIONS[precision]
    return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)


def as_float32(outputs: dict) -> dict:
    """Model outputs back in float32, so the loss and the regularizers (means of small
    activations) are computed at full precision whatever the products ran in."""
    return {k: v.float() if torch.is_tensor(v) and v.is_floating_point() else v for k, v in outputs.items()}


def fall_per_epoch(history: list[float], window: int) -> float:
    """Relative fall of the loss per epoch, averaged over the last ``window`` epochs (fewer
    if the history is shorter); nan for fewer than two epochs."""
    if len(history) < 2:
        return float("nan")
    span = min(window, len(history) - 1)
    start, end = history[-span - 1], history[-1]
    return (start - end) / abs(start) / span if start != 0 else 0.0


def has_converged(history: list[float], tol: float, window: int) -> bool:
    """True once the loss fell by less than ``tol`` (a fraction) per epoch on average over
    the last ``window`` epochs; never when ``tol`` is 0."""
    return tol > 0 and len(history) > window and fall_per_epoch(history, window) < tol


def train_epochs(
    model: nn.Module,
    batches,
    cfg,
    epochs: int,
    penalty: Callable[[dict, dict, TrainingContext], torch.Tensor | None] | None = None,
    after_backward: Callable[[], None] | None = None,
    after_step: Callable[[], None] | None = None,
    desc: str = "train",
    progress: bool = False,
    checkpoint: Checkpoint | None = None,
) -> list[float]:
    """Train for ``epochs`` over ``batches``; return the mean batch loss of each epoch.

    Each step: the batch's inputs are corrupted (``cfg.corruption``, denoising AEs); outputs =
    model(batch, ctx); loss = model.loss(batch, outputs, ctx) + penalty(batch, outputs, ctx);
    backward; ``after_backward`` (gradient masks); optimiser step;
    ``model.after_step()``; then ``after_step`` (the schedule's projection).

    Stops with RunFailed as soon as an epoch's loss is NaN or infinite, and early once the
    loss has converged (``cfg.stop_tol``, ``cfg.stop_window``; see ``has_converged``).
    With a ``checkpoint``, resumes from its file for this phase (``desc``) and saves to it every
    ``checkpoint.every`` epochs.
    """
    checkpoint = checkpoint.phase(desc) if checkpoint else None
    with checkpoint.exclusive() if checkpoint else contextlib.nullcontext():
        return _train_phase(model, batches, cfg, epochs, penalty, after_backward, after_step, desc, progress,
                            checkpoint)


def _train_phase(model, batches, cfg, epochs, penalty, after_backward, after_step, desc, progress,
                 checkpoint) -> list[float]:
    tol, window = float(cfg.get("stop_tol", 0.0)), int(cfg.get("stop_window", 10))
    optimizer = make_optimizer(model.parameters(), cfg)
    step = compiled_step(optimizer) if cfg.get("compile_optimizer", False) else optimizer.step
    precision = cfg.get("precision", "fp32")
    loss_of = batch_loss(model, penalty, precision)
    if cfg.get("compile", False):
        loss_of = compiled(loss_of, "train.compile")
    corrupt = make_corruption(cfg, batches.columns["x"])
    history: list[float] = []
    saved = checkpoint.load() if checkpoint else None
    if saved:
        model.load_state_dict(saved["model"])
        if saved["optimizer"] is not None:  # None in a finished phase's file (Checkpoint.save)
            optimizer.load_state_dict(saved["optimizer"])
        batches.set_random_state(saved["batches"])
        history = list(saved["history"])
        for epoch, loss in enumerate(history, start=1):  # the tracker's run shows the whole curve
            epoch_ended(desc, epoch, loss)
        log.info("%s: resumed at epoch %d/%d from %s", desc, len(history), epochs, checkpoint.path)
        if saved["finished"]:
            checkpoint.note_reused()
            return history

    def save(finished: bool) -> None:
        checkpoint.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                         "batches": batches.random_state(), "history": history, "finished": finished})

    model.train()
    first = len(history)
    bar = tqdm(range(first, epochs), desc=desc, leave=False, disable=not progress, initial=first, total=epochs)
    # Without a terminal (sweeps, clusters) the log shows progress instead: about ten lines a run.
    log_every, started = max(1, epochs // 10), time.perf_counter()
    for epoch in bar:
        total = None
        for batch, ctx in batches.epoch(epoch):
            if corrupt is not None:
                batch = corrupt(batch, ctx)
            loss = loss_of(batch, ctx)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if after_backward:
                after_backward()
            step()
            model.after_step()
            if after_step:
                after_step()
            total = loss.detach() if total is None else total + loss.detach()
        epoch_loss = float(total) / len(batches) if total is not None else 0.0
        if not math.isfinite(epoch_loss):
            raise RunFailed(f"{desc}: loss became {epoch_loss} at epoch {epoch + 1}; {model.divergence_hint()}")
        history.append(epoch_loss)
        epoch_ended(desc, epoch + 1, epoch_loss)  # to the run's tracker (logger=...), if any
        bar.set_postfix(loss=f"{epoch_loss:.4g}")
        if not progress and (epoch + 1) % log_every == 0:
            per_epoch = (time.perf_counter() - started) / (epoch + 1 - first)
            log.info("%s: epoch %d/%d, loss %.5g (%.1f s an epoch)",
                     desc, epoch + 1, epochs, epoch_loss, per_epoch)
        if has_converged(history, tol, window):
            log.info("%s: converged after %d of %d epochs (loss fell < %g per epoch over the last %d)",
                     desc, epoch + 1, epochs, tol, window)
            break
        if checkpoint and (epoch + 1) % checkpoint.every == 0 and epoch + 1 < epochs:
            save(finished=False)
    if checkpoint:
        save(finished=True)
    return history
