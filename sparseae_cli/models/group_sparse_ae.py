"""The group-sparse unrolled autoencoder (Theodosis & Ba, "Learning silhouettes with group
sparse autoencoders", ICASSP 2023) and its plain sparse twin.

Generative model y = A x with a group-sparse code x (groups of ``group_size`` atoms). The
encoder unrolls ``layers`` iterations of FISTA (Beck & Teboulle 2009) on eq. (6),

    min_x 1/2 ||y - A x||^2 + lambda sum_g ||x_g||_2,

with the layer of eq. (11), x <- sigma_{lambda tau}(x + tau A^T (y - A x)), plus FISTA's
momentum; the decoder is the same dictionary, y_hat = A x, without bias (tied). Training
minimises the mean squared reconstruction error through all layers; after every optimiser step
the atoms are put back on the unit sphere (``after_step``).

Here the dictionary is stored as ``atoms`` = A^T (k x d, one atom per row), so codes are rows:
y_hat = x @ atoms. ``ista_ae`` is the same model with groups of one atom (the authors' committed
configuration: 320 atoms, lambda 0.5); ``group_sparse_ae`` has 10 groups of 32 (lambda 7.5).

The step tau must stay below 1/L, L = ||A||_2^2, for FISTA to converge; the authors fix
tau = 0.01 and never check it. Here L is tracked by power iteration (warm-started, a few
products per step) and tau is lowered, with a log line, whenever tau L would exceed 1. The
threshold is lambda tau, so lowering tau keeps the objective (6) unchanged.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch import nn

from ..params import POSITIVE, POSITIVE_INT, Options
from . import MODELS, DataSpec
from ._group_threshold import THRESHOLDS, group_soft_threshold
from ._reconstruction import mean_squared_error
from .base import Dictionary, GradientModel

log = logging.getLogger("sparseae")

INITS = ("data", "data_class", "random")
POWER_STEPS_INIT = 100  # power iterations for the first estimate of L
POWER_STEPS_PER_UPDATE = 2  # then a few per optimiser step, warm-started: L moves slowly
STEP_MARGIN = 0.9  # a lowered step is STEP_MARGIN / L: the power estimate is a lower bound on L
LOG_EVERY = 100  # on a GPU, optimiser steps between reads of the step for the log line


def unit_rows(matrix: torch.Tensor) -> torch.Tensor:
    """Every row scaled to unit L2 norm (an all-zero row stays zero)."""
    return matrix / torch.linalg.vector_norm(matrix, dim=-1, keepdim=True).clamp_min(1e-12)


def power_iteration(atoms: torch.Tensor, vector: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Largest eigenvalue of atoms @ atoms^T (= ||A||_2^2) by ``steps`` power iterations
    started at ``vector`` (k,); returns (estimate, the updated unit vector). The estimate
    (a Rayleigh quotient) never exceeds the true value."""
    for _ in range(steps):
        vector = unit_rows(atoms @ (atoms.T @ vector))
    return torch.linalg.vector_norm(atoms.T @ vector).square(), vector


class GroupSparseAE(GradientModel):
    # One raw dictionary parameter, not nn.Linear layers: stacked ensembles do not apply.
    stackable = False

    def __init__(self, n_features: int, groups: int, group_size: int, lam: float, step: float,
                 layers: int, threshold: str, init: str) -> None:
        super().__init__()
        self.groups, self.group_size, self.layers = groups, group_size, layers
        self.lam, self.threshold, self.init = lam, threshold, init
        self.atoms = nn.Parameter(unit_rows(torch.randn(groups * group_size, n_features)))
        self.register_buffer("step", torch.tensor(float(step)))
        self.register_buffer("power_vector", unit_rows(torch.ones(groups * group_size)))
        self.logged_step, self.steps_taken = float(step), 0
        self.check_step(POWER_STEPS_INIT)

    # -- encoder and decoder -------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``layers`` FISTA iterations from x = 0, the Gram matrix formed once per batch:
        z <- sigma(y_t (I - tau G) + tau b), G = A^T A, b = A^T y (rows here)."""
        step = self.step
        propagate = torch.eye(len(self.atoms), device=x.device) - step * (self.atoms @ self.atoms.T)
        drive = step * (x @ self.atoms.T)
        threshold = self.lam * step
        code = momentum_point = torch.zeros_like(drive)
        t = 1.0
        for _ in range(self.layers):
            new_code = group_soft_threshold(momentum_point @ propagate + drive, threshold,
                                            self.group_size, self.threshold)
            t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
            momentum_point = new_code + ((t - 1) / t_next) * (new_code - code)
            code, t = new_code, t_next
        return code

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return code @ self.atoms

    def forward(self, batch, ctx=None) -> dict[str, torch.Tensor]:
        code = self.encode(batch["x"])
        return {"code": code, "reconstruction": self.decode(code)}

    def loss(self, batch, outputs, ctx=None):
        """The authors' loss: the mean squared error over pixels, averaged over the batch."""
        mse = mean_squared_error(outputs["reconstruction"], batch)
        return mse, {"mse": mse}

    # -- after every step: unit atoms, and a step that FISTA converges with --------------
    @torch.no_grad()
    def after_step(self) -> None:
        self.atoms.copy_(unit_rows(self.atoms))
        self.steps_taken += 1
        # Reading the step back is a device sync: on a GPU only every LOG_EVERY steps.
        on_cpu = self.atoms.device.type == "cpu"
        self.check_step(POWER_STEPS_PER_UPDATE, log_now=on_cpu or self.steps_taken % LOG_EVERY == 0)

    @torch.no_grad()
    def check_step(self, power_steps: int, log_now: bool = True) -> None:
        """Update the estimate of L = ||A||_2^2 and lower the step to STEP_MARGIN / L when
        step * L > 1 (FISTA's condition), on the device; ``log_now`` says so in the log."""
        lipschitz, self.power_vector = power_iteration(self.atoms, self.power_vector, power_steps)
        self.step.copy_(torch.where(self.step * lipschitz > 1, STEP_MARGIN / lipschitz, self.step))
        if log_now and float(self.step) < self.logged_step:
            log.info("group-sparse AE: step %.4g lowered to %.4g (||D||_2^2 = %.4g exceeds 1/step)",
                     self.logged_step, float(self.step), float(lipschitz))
            self.logged_step = float(self.step)

    # -- initialisation from the training images (the authors' default) -----------------
    @torch.no_grad()
    def init_from_data(self, X: np.ndarray, y: np.ndarray, generator: torch.Generator) -> None:
        """``data``: k random training images as atoms; ``data_class``: group g from images of
        class g mod n_classes; ``random``: the Gaussian atoms of the constructor. Rows are then
        normalised (the invariant ``after_step`` keeps)."""
        if self.init == "random":
            return
        k = len(self.atoms)
        if self.init == "data":
            rows = torch.randperm(len(X), generator=generator)[:k] if len(X) >= k else \
                torch.randint(len(X), (k,), generator=generator)
        else:
            rows = torch.cat([self._class_rows(y, g, generator) for g in range(self.groups)])
        self.atoms.copy_(unit_rows(torch.as_tensor(X[rows.numpy()], dtype=self.atoms.dtype)))
        self.check_step(POWER_STEPS_INIT)

    def _class_rows(self, y: np.ndarray, group: int, generator: torch.Generator) -> torch.Tensor:
        classes = np.unique(y)
        members = torch.as_tensor(np.flatnonzero(y == classes[group % len(classes)]))
        if len(members) < self.group_size:  # too few images of the class: draw with replacement
            return members[torch.randint(len(members), (self.group_size,), generator=generator)]
        return members[torch.randperm(len(members), generator=generator)[: self.group_size]]

    # -- what metrics and figures read ---------------------------------------------------
    def dictionary(self) -> Dictionary:
        return Dictionary(self.atoms.detach().cpu().numpy().copy(), None, "identity")

    def code_groups(self) -> np.ndarray:
        return np.repeat(np.arange(self.groups), self.group_size)


PARAMETERS = {"groups": POSITIVE_INT, "group_size": POSITIVE_INT, "lam": POSITIVE,
              "step": POSITIVE, "layers": POSITIVE_INT, "threshold": Options(THRESHOLDS),
              "init": Options(INITS)}


def build(cfg, spec: DataSpec) -> GroupSparseAE:
    return GroupSparseAE(spec.n_features, int(cfg.groups), int(cfg.group_size), float(cfg.lam),
                         float(cfg.step), int(cfg.layers), str(cfg.threshold), str(cfg.init))


MODELS.register("group_sparse_ae", PARAMETERS)(build)
MODELS.register("ista_ae", PARAMETERS)(build)  # groups of one atom: the plain sparse AE
