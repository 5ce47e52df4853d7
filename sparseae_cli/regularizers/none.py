"""No activation penalty."""

from . import REGULARIZERS


@REGULARIZERS.register("none")
def no_penalty(code, cfg):
    return None
