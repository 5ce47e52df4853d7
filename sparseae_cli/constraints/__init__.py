"""Constraints: functions ``project(W, eta) -> W'`` on 2-D tensors.

Groups are the columns ``W[:, j]`` (for a torch Linear weight of shape (out, in),
column j holds every weight leaving input feature j), so group-sparse operators
remove input features. Constraints know nothing of models or training.
"""

from ..registry import Registry, load_plugins

CONSTRAINTS: Registry = Registry("constraint")

load_plugins(__name__)
