"""``plain``: no constraint during training (the unconstrained baseline)."""

from ..loop import train_epochs
from . import SCHEDULES, FitResult


@SCHEDULES.register("plain")
def plain(model, batches, train_cfg, constraint, *, penalty=None, progress=False, checkpoint=None) -> FitResult:
    history = train_epochs(model, batches, train_cfg, train_cfg.epochs, penalty, desc="train",
                           progress=progress, checkpoint=checkpoint)
    return FitResult(history={"train": history})
