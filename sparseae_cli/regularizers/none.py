"""No activation penalty."""

from . import REGULARIZERS


@REGULARIZERS.register("none")
def no_penalty(code, cfg, ctx=None):
    return None
