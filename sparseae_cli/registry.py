"""Name -> object registries, filled by the modules of each plug-in package.

Every plug-in package (constraints, datasets, models, metrics, ...) calls
``load_plugins(__name__)`` in its ``__init__``, so dropping a new module into the
package registers it: adding one touches nothing else.

Every command imports every plug-in (to check a config's values against their parameters), so a
plug-in imports scikit-learn, scipy, pandas or matplotlib inside the function that uses them
(marked ``# lazy (registry.py)``), not at its top: together they cost about 1.2 s of every
command's start, and a sweep waits for its main process (tests/test_registry_imports.py).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable, Generic, Iterator, TypeVar

from .errors import UsageError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._parameters: dict[str, dict] = {}

    def register(self, name: str, parameters: dict | None = None) -> Callable[[T], T]:
        """Register under ``name``; ``parameters`` are its config keys' constraints
        (``sparseae_cli.params``), checked before any run starts."""
        def add(obj: T) -> T:
            if name in self._items:
                raise RuntimeError(f"{self.kind} '{name}' registered twice")
            self._items[name] = obj
            self._parameters[name] = dict(parameters or {})
            return obj

        return add

    def parameters(self, name: str) -> dict:
        """The parameter constraints ``name`` registered with (after checking the name exists)."""
        self.get(name)
        return self._parameters[name]

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UsageError(
                f"unknown {self.kind} '{name}'; choose one of: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def load_plugins(package: str) -> None:
    """Import every module of ``package`` so that their ``register`` calls run."""
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package}.{info.name}")
