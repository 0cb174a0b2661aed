"""``wandb.sdk.lib.config_util``: ``ConfigError`` and config-file reading."""

from __future__ import annotations

from typing import Any

from runyard.errors import ConfigError
from runyard.sdk.environment import config_file


def dict_from_config_file(filename: str, must_exist: bool = False) -> dict[str, Any] | None:
    """The values of a wandb config file (``key: {value: X}``), or None when it does not exist."""
    values = config_file(filename, must_exist)
    return values or None


__all__ = ["ConfigError", "dict_from_config_file"]
