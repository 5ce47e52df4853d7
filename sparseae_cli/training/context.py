"""The training context a model's ``forward`` and ``loss`` receive with every batch.

Every random draw a model makes while training (input corruption, a VAE's
reparameterisation noise) comes from here, never from the global RNG. The draws use the
generator that also shuffles the batches, which checkpoints save: a killed run resumes bit
for bit. In a stacked ensemble each member draws from its own generator, exactly the numbers
it would draw trained alone, so a stacked run equals its members trained one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

Sampler = Callable[..., torch.Tensor]  # torch.rand / torch.randn: (shape, generator=, dtype=)


@dataclass(frozen=True)
class TrainingContext:
    """Where training stands, and its random stream.

    ``epoch`` counts from 0 within the current training phase and ``step`` counts optimiser
    steps within it (for warm-ups). ``generators`` holds one generator, or one per member of a
    stacked ensemble; ``rows`` is then the number of real (unpadded) rows each member has in
    this batch, padding being always at the end. An empty context (no generators) is the one
    evaluation uses: a model must not draw noise there.
    """

    generators: tuple[torch.Generator, ...] = ()
    rows: tuple[int, ...] | None = None
    epoch: int = 0
    step: int = 0

    @property
    def stacked(self) -> bool:
        return self.rows is not None

    def uniform_like(self, like: torch.Tensor) -> torch.Tensor:
        """U[0, 1) noise of ``like``'s shape, dtype and device."""
        return self._draw(torch.rand, like)

    def normal_like(self, like: torch.Tensor) -> torch.Tensor:
        """N(0, 1) noise of ``like``'s shape, dtype and device."""
        return self._draw(torch.randn, like)

    def _draw(self, sampler: Sampler, like: torch.Tensor) -> torch.Tensor:
        if not self.generators:
            raise RuntimeError("this context has no random stream (evaluation): a model must not "
                               "draw noise outside training")
        # Drawn in float32 on the generator's device, then moved: the same numbers on any device.
        if not self.stacked:
            g = self.generators[0]
            return sampler(tuple(like.shape), generator=g, device=g.device).to(like)
        noise = torch.zeros_like(like)
        for member, (g, n) in enumerate(zip(self.generators, self.rows)):
            noise[member, :n] = sampler((n, *like.shape[2:]), generator=g, device=g.device).to(like)
        return noise


EVALUATION = TrainingContext()
