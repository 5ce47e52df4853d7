"""AAnet: archetypal analysis network (van Dijk, Burkhardt et al., "Finding archetypal spaces
using neural networks", IEEE Big Data 2019; the Yale lecture's AAnet slides).

An MLP encoder (``hidden``, ReLU) maps x to z in R^(k-1), the space of a regular simplex whose
k vertices V are the archetypes' latent positions; the code is z's barycentric coordinates b
(z = b V, sum b = 1), so each cell is a mixture of archetypes. The mirrored decoder maps b V back
to x, and the archetypes in input space are the decoded vertices. The loss is

    MSE(x_hat, x) + archetypal_weight * mean_i (sum_j max(-b_ij, 0))^2,

the reference's penalty on points outside the simplex; ``noise`` > 0 adds N(0, noise^2) to z
while training (the reference's option, off by default). ``simplex: project`` instead projects b
onto the probability simplex before decoding (``constraints.simplex.project_rows_to_simplex``):
every cell is then an exact convex mixture.
"""

from __future__ import annotations

import numpy as np
import torch

from ..constraints.simplex import project_rows_to_simplex
from ..params import NON_NEGATIVE, POSITIVE, POSITIVE_INT, Interval, ListOf, Options
from . import MODELS, DataSpec
from ._archetypes import barycentric_map, outside_distance, regular_simplex, to_barycentric
from ._layers import mlp
from .base import GradientModel, batch_mean

PARAMETERS = {"archetypes": Interval(int, 2, meaning="a simplex needs two vertices"),
              "hidden": ListOf(POSITIVE_INT),
              "archetypal_weight": NON_NEGATIVE, "noise": NON_NEGATIVE, "simplex_scale": POSITIVE,
              "simplex": Options(("penalty", "project"))}


class AAnet(GradientModel):
    def __init__(self, n_features: int, k: int, hidden: list[int], archetypal_weight: float, noise: float,
                 scale: float, project: bool) -> None:
        super().__init__()
        self.archetypal_weight, self.noise, self.project = archetypal_weight, noise, project
        self.encoder = mlp([n_features, *hidden, k - 1], "relu")
        self.decoder = mlp([k - 1, *reversed(hidden), n_features], "relu")
        vertices = regular_simplex(k, scale)
        self.register_buffer("vertices", torch.tensor(vertices, dtype=torch.float32))
        self.register_buffer("mapping", torch.tensor(barycentric_map(vertices), dtype=torch.float32))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return to_barycentric(self.encoder(x), self.mapping)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        mixture = project_rows_to_simplex(code) if self.project else code
        return self.decoder(mixture @ self.vertices)

    def forward(self, batch, ctx=None) -> dict[str, torch.Tensor]:
        z = self.encoder(batch["x"])
        code = to_barycentric(z, self.mapping)
        if self.training and self.noise > 0:
            z = z + self.noise * ctx.normal_like(z)
            mixture = to_barycentric(z, self.mapping)
        else:
            mixture = code
        return {"code": code, "reconstruction": self.decode(mixture)}

    def loss(self, batch, outputs, ctx=None):
        x = batch["x"]
        mse = batch_mean((outputs["reconstruction"] - x).square().sum(-1), batch, per_row=x.shape[-1])
        parts = {"mse": mse}
        if self.archetypal_weight > 0:
            parts["archetypal"] = self.archetypal_weight * batch_mean(outside_distance(outputs["code"]).square(),
                                                                      batch)
        return sum(parts.values()), parts

    @torch.no_grad()
    def archetypes(self) -> np.ndarray:
        self.eval()
        return self.decoder(self.vertices).cpu().numpy()


@MODELS.register("aanet", PARAMETERS)
def build_aanet(cfg, spec: DataSpec) -> AAnet:
    return AAnet(spec.n_features, int(cfg.archetypes), list(cfg.hidden), float(cfg.archetypal_weight),
                 float(cfg.noise), float(cfg.simplex_scale), cfg.simplex == "project")
