"""wandb's small process-level calls: ``termlog``/``termwarn``/``termerror`` (one prefixed line
on stderr, silenced by ``WANDB_SILENT``), ``setup``, ``teardown`` and ``require``."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

logger = logging.getLogger("runyard")


def _silent() -> bool:
    return os.environ.get("WANDB_SILENT", "").lower() in ("1", "true", "yes")


def _term(string: str, prefix: bool, level: str | None) -> None:
    head = "runyard: " if prefix else ""
    tag = f"{level}: " if level else ""
    text = "\n".join(f"{head}{tag}{line}" for line in str(string).split("\n"))
    if _silent():
        logger.info(text)
        return
    stream = sys.stderr
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def termlog(string: str = "", newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    """Print ``string`` on stderr with runyard's prefix."""
    _term(string, prefix, None)


def termwarn(string: str, newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    _term(string, prefix, "WARNING")


def termerror(string: str, newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    _term(string, prefix, "ERROR")


class _Setup:
    """What ``setup()`` returns: the settings a later ``init()`` starts from."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings


_setup: _Setup | None = None


def setup(settings: Any = None) -> _Setup:
    """wandb prepares its service process here; runyard has none. Returns an object holding
    ``settings``; calling it again returns the same object."""
    global _setup
    if _setup is None:
        _setup = _Setup(settings)
    return _setup


def teardown(exit_code: int | None = None) -> None:
    """Finish every live run (wandb's ``teardown``)."""
    global _setup
    from ..entry import unset

    unset()
    _setup = None


def require(requirement: str | list[str] | None = None, experiment: str | list[str] | None = None) -> None:
    """wandb's feature switches (``"service"``, ``"core"``, ...) have nothing to switch here."""
    names = requirement or experiment
    if names:
        logger.debug("runyard: require(%r) has nothing to switch on in runyard; ignored", names)
