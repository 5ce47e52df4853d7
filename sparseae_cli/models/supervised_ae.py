"""Supervised autoencoder of Barlaud & Guyard (ICASSP 2021).

The latent code is the vector of k class logits; the loss is
    L = CE(z, y) + lam * SmoothL1(x_hat, x),
summed over the batch and the features as in the authors' code (``reduction=sum``),
or averaged as the paper's text says (``reduction=mean``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import UsageError
from ..params import NON_NEGATIVE, POSITIVE, POSITIVE_INT, Optional, Options
from . import MODELS, DataSpec
from ._layers import ACTIVATIONS, mlp
from .base import GradientModel, batch_mean, batch_sum, clean_input, padding_weight

# Hidden sizes per architecture (encoder side; the decoder mirrors it).
ARCHITECTURES = {
    "netbio": lambda cfg: [int(cfg.hidden)],
    "lenet": lambda cfg: [300, 100],
    "fair4": lambda cfg: [512, 512, 512, 512],
}
# The reference FairAutoEncoder ends its decoder with tanh; the others are linear.
DEFAULT_OUTPUT = {"netbio": "identity", "lenet": "identity", "fair4": "tanh"}


class SupervisedAE(GradientModel):
    def __init__(self, n_features: int, n_classes: int, hidden: list[int], activation: str,
                 output_activation: str, lam: float, reduction: str, recon: str,
                 smooth_l1_beta: float, class_weights: list[float] | None) -> None:
        super().__init__()
        self.encoder = mlp([n_features, *hidden, n_classes], activation)
        self.decoder = mlp([n_classes, *reversed(hidden), n_features], activation, output_activation)
        self.lam = lam
        self.reduction = reduction
        self.recon = recon
        self.smooth_l1_beta = smooth_l1_beta
        weights = torch.tensor(class_weights, dtype=torch.float32) if class_weights else None
        self.register_buffer("class_weights", weights, persistent=False)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, batch, ctx=None) -> dict[str, torch.Tensor]:
        z = self.encode(batch["x"])
        return {"code": z, "logits": z, "reconstruction": self.decode(z)}

    def loss(self, batch, outputs, ctx=None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Loss of a batch; leading dimensions before the batch one (stacked models) are summed.

        A stacked ensemble pads ragged batches with zero-weight rows (``batch["weight"]``);
        ``mean`` divides by the weight of each model's batch.
        """
        x, y, logits = clean_input(batch), batch["y"], outputs["logits"]
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                             weight=self.class_weights, reduction="none").reshape(y.shape)
        if self.recon == "smooth_l1":
            rec = F.smooth_l1_loss(outputs["reconstruction"], x, beta=self.smooth_l1_beta,
                                   reduction="none")
        else:
            rec = F.mse_loss(outputs["reconstruction"], x, reduction="none")
        rec = rec.sum(-1)
        if self.reduction == "sum":
            ce_total, rec_total = batch_sum(ce, batch), batch_sum(rec, batch)
        else:
            w = padding_weight(ce, batch)
            ce_weight = w if self.class_weights is None else w * self.class_weights[y]
            ce_total = batch_mean(ce, batch, row_weight=ce_weight)
            rec_total = batch_mean(rec, batch, per_row=x.shape[-1])
        return ce_total + self.lam * rec_total, {"cross_entropy": ce_total, "reconstruction": rec_total}


PARAMETERS = {
    "arch": Options(tuple(ARCHITECTURES)),
    "hidden": POSITIVE_INT,
    "activation": Options(tuple(ACTIVATIONS)),
    "output_activation": Optional(Options(tuple(ACTIVATIONS))),
    "lam": NON_NEGATIVE.means("the reconstruction weight"),
    "loss.reduction": Options(("sum", "mean")),
    "loss.recon": Options(("smooth_l1", "mse")),
    "loss.smooth_l1_beta": POSITIVE,
}


@MODELS.register("supervised_ae", PARAMETERS)
def build_supervised_ae(cfg, spec: DataSpec) -> SupervisedAE:
    latent = cfg.get("latent_dim")
    if latent is not None and int(latent) != spec.n_classes:
        raise UsageError(
            f"model.latent_dim={latent} but the supervised AE's latent is the {spec.n_classes} "
            f"class logits; set model.latent_dim=null (or {spec.n_classes})"
        )
    weights = cfg.loss.get("class_weights")
    if weights is not None and len(weights) != spec.n_classes:
        raise UsageError(
            f"model.loss.class_weights has {len(weights)} values for {spec.n_classes} classes"
        )
    return SupervisedAE(
        n_features=spec.n_features,
        n_classes=spec.n_classes,
        hidden=ARCHITECTURES[cfg.arch](cfg),
        activation=cfg.activation,
        output_activation=cfg.get("output_activation") or DEFAULT_OUTPUT[cfg.arch],
        lam=float(cfg.lam),
        reduction=cfg.loss.reduction,
        recon=cfg.loss.recon,
        smooth_l1_beta=float(cfg.loss.smooth_l1_beta),
        class_weights=list(weights) if weights is not None else None,
    )
