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
from .types import Audio, Histogram, Html, Image, Molecule, Object3D, Plotly, Table, Video

run: Any = None
config: Any = PreInit("config")
summary: Any = PreInit("summary")


def __getattr__(name: str) -> Any:
    # Custom charts load on first use: ``runyard.plot.line(...)``, ``runyard.plot_table(...)``.
    if name in ("plot", "plot_table"):
        import importlib

        plot = importlib.import_module(".plot", __name__)
        return plot if name == "plot" else plot.plot_table
    raise AttributeError(f"module 'runyard' has no attribute {name!r}")


__all__ = [
    "Api",
    "Audio",
    "Histogram",
    "Html",
    "Image",
    "Molecule",
    "Object3D",
    "Plotly",
    "Table",
    "Video",
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
    "plot",
    "plot_table",
    "run",
    "summary",
    "unset",
]
