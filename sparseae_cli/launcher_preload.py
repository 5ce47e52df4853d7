"""What the ``processes`` launcher's forkserver imports before forking any worker: everything a
training job imports (the runner imports every plugin package), so that no job waits for it."""

import torch._dynamo  # noqa: F401  (torch.optim's first optimiser imports it: about 1 s)

from . import runner, train_command  # noqa: F401
