"""``wandb.sklearn`` (``runyard.integrations.sklearn``)."""

from runyard.integrations.sklearn import *  # noqa: F403
from runyard.integrations.sklearn import __all__  # noqa: F401
