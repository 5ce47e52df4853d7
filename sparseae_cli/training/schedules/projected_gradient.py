"""``projected_gradient``: project the constrained parameters after every optimiser step."""

from ..loop import train_epochs
from . import SCHEDULES, FitResult


@SCHEDULES.register("projected_gradient")
def projected_gradient(model, batches, train_cfg, constraint, *, penalty=None, progress=False,
                       checkpoint=None) -> FitResult:
    history = train_epochs(model, batches, train_cfg, train_cfg.epochs, penalty,
                           after_step=constraint.project, desc="projected", progress=progress,
                           checkpoint=checkpoint)
    return FitResult(constraint.support(), {"train": history})
