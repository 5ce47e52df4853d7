"""``hydra/launcher=processes`` (the code: sparseae_cli/launcher.py).

Hydra registers a launcher under the module that defines its class, and accepts only modules of
its ``hydra_plugins`` namespace: hence this subclass, which adds nothing.
"""

from sparseae_cli import launcher


class ProcessesLauncher(launcher.ProcessesLauncher):
    pass
