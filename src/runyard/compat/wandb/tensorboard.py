"""``wandb.tensorboard`` (``runyard.integrations.tensorboard``): ``patch``, ``unpatch``."""

from runyard.integrations.tensorboard import *  # noqa: F403
from runyard.integrations.tensorboard import __all__  # noqa: F401
