"""``wandb.integration.keras`` (``runyard.integrations.keras``)."""

from runyard.integrations.keras import WandbEvalCallback, WandbMetricsLogger, WandbModelCheckpoint

__all__ = ["WandbEvalCallback", "WandbMetricsLogger", "WandbModelCheckpoint"]
