"""``wandb.apis``: the read API (``runyard.Api``)."""

from . import public

__all__ = ["public"]
