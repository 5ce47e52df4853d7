"""``logger=tensorboard``: event files in ``RUN_DIR/tensorboard`` via ``torch.utils.tensorboard``.

Per-epoch losses as scalars (``loss/phase_1``, ...), the config and the final metrics as
TensorBoard's hyperparameters (its HPARAMS tab compares the runs of a sweep) and as scalars
``final/<metric>``. ``tensorboard --logdir SWEEP_DIR`` shows every run of a sweep together.
"""

from __future__ import annotations

from ..errors import UsageError
from . import LOGGERS, RunLogger, phase_key

SUBDIR = "tensorboard"


class TensorBoardLogger(RunLogger):
    def __init__(self, log_dir) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise UsageError("logger=tensorboard needs the tensorboard package: pip install tensorboard "
                             "(or pip install -e '.[tracking]'), or choose logger=none") from None
        self.writer = SummaryWriter(log_dir=str(log_dir))

    def epoch(self, phase: str, epoch: int, loss: float) -> None:
        self.writer.add_scalar(phase_key(phase), loss, epoch)

    def finish(self, params: dict, metrics: dict, status: str) -> None:
        finite = {f"final/{k}": v for k, v in metrics.items()}
        for key, value in finite.items():
            self.writer.add_scalar(key, value, 0)
        # run_name ".": the hyperparameters beside the run's own scalars, not in a subfolder.
        self.writer.add_hparams({**params, "status": status}, finite, run_name=".")
        self.writer.close()


@LOGGERS.register("tensorboard")
def open_tensorboard(cfg, run) -> RunLogger:
    return TensorBoardLogger(run.out_dir / SUBDIR)
