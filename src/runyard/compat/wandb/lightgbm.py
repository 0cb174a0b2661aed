"""``wandb.lightgbm`` (``runyard.integrations.lightgbm``)."""

from runyard.integrations.lightgbm import *  # noqa: F403
from runyard.integrations.lightgbm import __all__  # noqa: F401
