"""Exceptions and warnings runyard raises."""

from __future__ import annotations


class RunyardError(Exception):
    """Base class of runyard's errors."""


class UsageError(RunyardError):
    """The API was called in a way it does not support (no active run, a finished run, ...)."""


class StepError(RunyardError, ValueError):
    """A step that is not a non-negative integer, or (strict mode) lower than the current step."""


class LogValueError(RunyardError, TypeError):
    """A logged value of a type runyard cannot store; the message names the key and the type."""


class ConfigError(RunyardError):
    """``config.update`` or ``config[key] = ...`` changed a value already set, without
    ``allow_val_change=True`` (wandb's rule, and its exception name)."""


class CommError(RunyardError):
    """A team server could not be reached or refused a request (wandb's name)."""


class AuthenticationError(CommError):
    """A team server refused the API key (wandb's name)."""


class UnsupportedError(UsageError):
    """A call runyard does not support (wandb's name)."""


Error = RunyardError  # wandb's base exception name: ``except wandb.Error`` catches runyard's errors


class RunyardWarning(UserWarning):
    """Something was not done as asked but the run goes on (a dropped row, a torn log tail, ...)."""
