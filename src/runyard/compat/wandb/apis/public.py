"""``wandb.apis.public``: ``Api`` and its ``Run`` (runyard's read API)."""

from runyard.api import Api, ApiRun

Run = ApiRun

__all__ = ["Api", "Run"]
