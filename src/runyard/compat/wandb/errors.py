"""``wandb.errors``: wandb's exception names over runyard's own exceptions."""

from runyard.errors import (
    AuthenticationError,
    CommError,
    ConfigError,
    Error,
    UnsupportedError,
    UsageError,
)


class WandbCoreNotAvailableError(Error):
    """wandb's core service is missing; runyard never needs one, so this is never raised."""


__all__ = ["AuthenticationError", "CommError", "ConfigError", "Error", "UnsupportedError", "UsageError",
           "WandbCoreNotAvailableError"]
