"""``Settings``: wandb's settings object, accepted by ``init(settings=...)``.

runyard honours the names that change what it does (mode, console, the run's identity, resume,
the key of a team server) and ignores the rest — wandb's networking, service and ``x_*``
settings mean nothing to a local writer — with one debug line naming them, never an error.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("runyard")

# wandb setting -> runyard init() argument
INIT_ARGS = {
    "project": "project", "entity": "entity", "run_name": "name", "run_id": "id", "run_group": "group",
    "run_job_type": "job_type", "run_notes": "notes", "run_tags": "tags", "resume": "resume",
    "reinit": "reinit", "mode": "mode",
}
# wandb setting -> runyard setting
RUNYARD_SETTINGS = {"console": "console", "base_url": "base_url", "api_key": "api_key",
                    "finish_timeout": "finish_timeout"}
# Accepted and meaningful without a mapping: used by init() itself or by other parts of runyard.
HANDLED = {"root_dir", "silent", "quiet", "allow_val_change", "save_code", "code_dir", "config_paths",
           "show_info", "show_warnings", "show_errors", "show_emoji", "show_colors", "disable_code",
           "disable_git", "program"}


class Settings:
    """Keyword arguments with wandb's setting names (``Settings(mode="offline", console="off")``).

    Unknown names are kept as attributes and ignored by runyard (one debug line when used).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)

    def update(self, settings: Any = None, **kwargs: Any) -> None:
        """Merge another ``Settings``, a dict, or keyword arguments into this one."""
        if isinstance(settings, Settings):
            self.__dict__.update(settings.to_dict())
        elif settings:
            self.__dict__.update(dict(settings))
        self.__dict__.update(kwargs)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None  # a setting nobody set reads as unset, as in wandb

    def __repr__(self) -> str:
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


def split_settings(settings: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``(init arguments, runyard settings, other wandb settings)`` from a ``Settings``, a dict
    or None. runyard's own setting names pass through as runyard settings."""
    from ..settings import SETTINGS

    if settings is None:
        return {}, {}, {}
    if isinstance(settings, Settings):
        items = settings.to_dict()
    elif isinstance(settings, dict):
        items = dict(settings)
    else:
        items = {k: v for k, v in vars(settings).items() if not k.startswith("_")}
    own = {s.name for s in SETTINGS}
    init_args: dict[str, Any] = {}
    runyard: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for k, v in items.items():
        if v is None:
            continue
        if k in INIT_ARGS:
            init_args[INIT_ARGS[k]] = v
        elif k in own:
            runyard[k] = v
        elif k in RUNYARD_SETTINGS:
            runyard[RUNYARD_SETTINGS[k]] = v
        else:
            other[k] = v
    if "console" in runyard:
        runyard["console"] = "off" if str(runyard["console"]) == "off" else "wrap"
    ignored = sorted(k for k in other if k not in HANDLED)
    if ignored:
        logger.debug("runyard: wandb settings %s mean nothing to a local run and are ignored", ignored)
    return init_args, runyard, other
