"""``wandb.wandb_run``: the run class integrations check with ``isinstance``."""

from runyard.sdk.run import Run

__all__ = ["Run"]
