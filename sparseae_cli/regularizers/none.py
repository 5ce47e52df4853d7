"""No activation penalty."""

from . import REGULARIZERS, Penalized


@REGULARIZERS.register("none")
def no_penalty(term: Penalized, cfg):
    return None
