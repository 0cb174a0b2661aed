"""``wandb.sdk.wandb_run``."""

from runyard.sdk.run import Run

__all__ = ["Run"]
