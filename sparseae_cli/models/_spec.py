"""What a model builder may know about the data: shapes, never the data itself."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DataSpec:
    n_features: int
    n_classes: int
    image_shape: tuple[int, ...] | None = None
