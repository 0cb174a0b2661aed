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
_LAZY: dict[str, tuple[str, str | None]] = {
    "Api": (".api", "Api"),
    "ApiRun": (".api", "ApiRun"),
    "Artifact": (".artifacts", "Artifact"),
    "AlertLevel": (".sdk.extras", "AlertLevel"),
    "plot": (".plot", None),
    "plot_table": (".plot", "plot_table"),
    # wandb's surface beyond log() (docs/wandb-compat.md)
    "Settings": (".sdk.wandb_settings", "Settings"),
    "login": (".sdk.login", "login"),
    "util": (".util", None),
    "sweep": (".sdk.sweep", "sweep"),
    "agent": (".sdk.sweep", "agent"),
}
# the module-level artifact functions, each ``module_<name>`` in .artifacts.runs
_LAZY.update({name: (".artifacts.runs", f"module_{name}")
              for name in ("log_artifact", "use_artifact", "log_model", "use_model", "link_model")})
# the media types, each in the module .types.<its name in lower case>
_LAZY.update({name: (f".types.{name.lower()}", name)
              for name in ("Audio", "Histogram", "Graph", "Html", "Image", "Molecule", "Object3D", "Plotly",
                           "Table", "Video")})
_LAZY.update({name: (".sdk.watch", name) for name in ("watch", "unwatch")})
_LAZY.update({name: (".sdk.terminal", name)
              for name in ("termlog", "termwarn", "termerror", "setup", "teardown", "require")})
# framework integrations, as modules
_LAZY.update({name: (f".integrations.{name}", None)
              for name in ("sklearn", "lightgbm", "xgboost", "keras", "tensorboard")})


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
    "agent",
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
    "sweep",
    "unset",
    "use_artifact",
    "use_model",
    "unwatch",
    "watch",
]
