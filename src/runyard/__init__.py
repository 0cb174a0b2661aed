"""runyard: local-first experiment tracking with a wandb-shaped API.

``import runyard as wandb`` works for scripts written against ``wandb.log()`` and its family.
This module only re-exports the public API; logic lives in the subpackages.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import Any

from .api import Api
from .errors import LogValueError, RunyardError, RunyardWarning, StepError, UsageError
from .sdk.lifecycle import define_metric, finish, init, log, unset
from .sdk.preinit import PreInit
from .types import Histogram

run: Any = None
config: Any = PreInit("config")
summary: Any = PreInit("summary")

__all__ = [
    "Api",
    "Histogram",
    "LogValueError",
    "RunyardError",
    "RunyardWarning",
    "StepError",
    "UsageError",
    "__version__",
    "config",
    "define_metric",
    "finish",
    "init",
    "log",
    "run",
    "summary",
    "unset",
]
