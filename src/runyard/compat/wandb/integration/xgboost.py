"""``wandb.integration.xgboost`` (``runyard.integrations.xgboost``)."""

from runyard.integrations.xgboost import *  # noqa: F403
from runyard.integrations.xgboost import __all__  # noqa: F401
