"""runyard: local-first experiment tracking with a wandb-shaped API.

``import runyard as wandb`` works for scripts written against ``wandb.log()`` and its family.
This module only re-exports the public API; logic lives in the subpackages. Everything but the
entry points loads on first use (PEP 562), so ``import runyard`` costs milliseconds.
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
from typing import Any

from .entry import alert, define_metric, finish, init, log, restore, save, unset
from .errors import ConfigError, Error, LogValueError, RunyardError, RunyardWarning, StepError, UsageError
from .sdk.preinit import PreInit

run: Any = None
config: Any = PreInit("config")
summary: Any = PreInit("summary")

# name -> (module, attribute or None for the module itself)
_LAZY = {
    "Api": (".api", "Api"),
    "Artifact": (".artifacts", "Artifact"),
    "log_artifact": (".artifacts.runs", "module_log_artifact"),
    "use_artifact": (".artifacts.runs", "module_use_artifact"),
    "log_model": (".artifacts.runs", "module_log_model"),
    "use_model": (".artifacts.runs", "module_use_model"),
    "link_model": (".artifacts.runs", "module_link_model"),
    "AlertLevel": (".sdk.extras", "AlertLevel"),
    "ApiRun": (".api", "ApiRun"),
    "Audio": (".types.audio", "Audio"),
    "Histogram": (".types.histogram", "Histogram"),
    "Graph": (".types.graph", "Graph"),
    "Html": (".types.html", "Html"),
    "Image": (".types.image", "Image"),
    "Molecule": (".types.molecule", "Molecule"),
    "Object3D": (".types.object3d", "Object3D"),
    "Plotly": (".types.plotly", "Plotly"),
    "Table": (".types.table", "Table"),
    "Video": (".types.video", "Video"),
    "plot": (".plot", None),
    "plot_table": (".plot", "plot_table"),
    # wandb's surface beyond log() (docs/wandb-compat.md)
    "Settings": (".sdk.wandb_settings", "Settings"),
    "login": (".sdk.login", "login"),
    "watch": (".sdk.watch", "watch"),
    "unwatch": (".sdk.watch", "unwatch"),
    "termlog": (".sdk.terminal", "termlog"),
    "termwarn": (".sdk.terminal", "termwarn"),
    "termerror": (".sdk.terminal", "termerror"),
    "setup": (".sdk.terminal", "setup"),
    "teardown": (".sdk.terminal", "teardown"),
    "require": (".sdk.terminal", "require"),
    "util": (".util", None),
    "sklearn": (".integrations.sklearn", None),
    "lightgbm": (".integrations.lightgbm", None),
    "xgboost": (".integrations.xgboost", None),
    "keras": (".integrations.keras", None),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'runyard' has no attribute {name!r}") from None
    module = importlib.import_module(module_name, __name__)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "AlertLevel",
    "Api",
    "ApiRun",
    "Artifact",
    "Audio",
    "ConfigError",
    "Error",
    "Histogram",
    "Graph",
    "Html",
    "Image",
    "LogValueError",
    "Molecule",
    "Object3D",
    "Plotly",
    "RunyardError",
    "RunyardWarning",
    "Settings",
    "StepError",
    "Table",
    "UsageError",
    "Video",
    "__version__",
    "alert",
    "config",
    "define_metric",
    "finish",
    "init",
    "link_model",
    "log",
    "log_artifact",
    "log_model",
    "login",
    "plot",
    "plot_table",
    "restore",
    "run",
    "save",
    "summary",
    "unset",
    "use_artifact",
    "use_model",
    "unwatch",
    "watch",
]
