"""``wandb`` as seen through runyard's alias (``runyard.compat``): runyard's API under wandb's
names, plus the ``wandb.<sub>`` modules integrations import. Names not defined here are looked
up on ``runyard`` itself, so whatever runyard adds is reachable as ``wandb.<name>`` too.

``init`` differs from ``runyard.init`` in one way: wandb's ``dir`` only places a scratch folder,
so here it never moves where runyard keeps runs (``$RUNYARD_DIR`` or ``./runyard``).
"""

from __future__ import annotations

import logging
from typing import Any

import runyard as _runyard
from runyard import (
    Api,
    Audio,
    ConfigError,
    Error,
    Histogram,
    Html,
    Image,
    Molecule,
    Object3D,
    Plotly,
    Settings,
    Table,
    Video,
    define_metric,
    finish,
    login,
    plot,
    plot_table,
    setup,
    teardown,
    termerror,
    termlog,
    termwarn,
    unset,
    unwatch,
    util,
    watch,
)
from runyard import entry as _entry
from runyard import require as require
from runyard.errors import UsageError

from .._finder import WANDB_VERSION
from . import errors, sdk

__version__ = WANDB_VERSION.split("+")[0]
__runyard_alias__ = True

_logger = logging.getLogger("runyard")

# Set by runyard.sdk.lifecycle when a run starts or finishes, exactly as on ``runyard``.
run: Any = _runyard.run
config: Any = _runyard.config
summary: Any = _runyard.summary


def init(*args: Any, **kwargs: Any) -> Any:
    """``wandb.init``: runyard's ``init`` with wandb's meaning of ``dir`` (a scratch folder,
    which runyard does not need) and of ``settings.root_dir``."""
    if args:
        raise TypeError("wandb.init() takes keyword arguments only (e.g. wandb.init(project='p'))")
    scratch = kwargs.pop("dir", None)
    if scratch is not None:
        _logger.debug("runyard: wandb.init(dir=%r) places wandb's scratch folder; runyard keeps runs under "
                      "$RUNYARD_DIR (or ./runyard), so it is ignored", scratch)
    # wandb's "default" in a script returns the run already going; runyard.init finishes it
    reinit = kwargs.get("reinit")
    if reinit in (None, "default", "return_previous"):
        kwargs["reinit"] = False
    elif reinit == "finish_previous":
        kwargs["reinit"] = True
    return _runyard.init(_wandb_call=True, **kwargs)


def log(data: dict[str, Any] | None = None, step: int | None = None, commit: bool | None = None,
        sync: bool | None = None) -> None:
    """``wandb.log``; rebound to runyard's own ``log`` once a run starts."""
    _entry.log(data, step, commit, sync)  # not _runyard.log: importing runyard.log (the package) rebinds it


def mark_preempting() -> None:
    """Mark the current run as about to be preempted."""
    if _runyard.run is not None:
        _runyard.run.mark_preempting()


def sweep(*args: Any, **kwargs: Any) -> Any:
    from ...sdk.sweep import sweep as make

    return make(*args, **kwargs)


def agent(*args: Any, **kwargs: Any) -> Any:
    from ...sdk.sweep import agent as run_agent

    return run_agent(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_runyard, name)
    except AttributeError:
        raise AttributeError(
            f"module 'wandb' (runyard's alias) has no attribute {name!r}; see docs/wandb-compat.md for "
            "what runyard provides"
        ) from None


__all__ = [
    "Api", "Audio", "ConfigError", "Error", "Histogram", "Html", "Image", "Molecule", "Object3D", "Plotly",
    "Settings", "Table", "UsageError", "Video", "agent", "config", "define_metric", "errors", "finish", "init",
    "log", "login", "mark_preempting", "plot", "plot_table", "require", "run", "sdk", "setup", "summary",
    "sweep", "teardown", "termerror", "termlog", "termwarn", "unset", "unwatch", "util", "watch",
]
