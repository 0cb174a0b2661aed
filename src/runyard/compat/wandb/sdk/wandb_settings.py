"""``wandb.sdk.wandb_settings``."""

from runyard.sdk.wandb_settings import Settings

__all__ = ["Settings"]
