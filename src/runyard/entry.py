"""The module-level calls of ``runyard`` (``init``, ``log``, ``finish``, ...), as thin entry points
that load the SDK on first use, so ``import runyard`` stays cheap. Once a run starts, ``runyard.log``
is rebound to the SDK's own function (``sdk.lifecycle``), so the hot path pays no extra call."""

from __future__ import annotations

import sys
from typing import Any

from .errors import UsageError

_INIT_POSITIONAL = ("project", "name", "id", "config", "dir", "mode", "resume", "tags", "group", "job_type",
                    "notes", "reinit", "entity", "settings")


def init(*args: Any, _wandb_call: bool = False, **kwargs: Any) -> Any:
    """Start a run (docs/semantics.md, "Runs"); see ``runyard.sdk.lifecycle.init`` for the arguments.
    wandb's ``WANDB_*`` variables, ``Settings`` and config files apply (``docs/wandb-compat.md``)."""
    from .sdk import lifecycle
    from .sdk.environment import init_arguments

    if len(args) > len(_INIT_POSITIONAL):
        raise TypeError(f"init() takes at most {len(_INIT_POSITIONAL)} positional arguments ({len(args)} given)")
    for name, value in zip(_INIT_POSITIONAL, args, strict=False):
        if name in kwargs:
            raise TypeError(f"init() got multiple values for argument {name!r}")
        kwargs[name] = value
    return lifecycle.init(**init_arguments(kwargs, _wandb_call))


def _lifecycle() -> Any:
    return sys.modules.get("runyard.sdk.lifecycle")


def log(data: dict[str, Any] | None = None, step: int | None = None, commit: bool | None = None,
        sync: bool | None = None) -> None:
    """Log ``data`` to the current run (docs/semantics.md, "Steps and commits"); ``log()`` alone
    commits the current step. Raises if ``init()`` was not called."""
    lc = _lifecycle()
    if lc is None:
        raise UsageError("runyard.log() was called before runyard.init(); call runyard.init() first")
    lc.log(data, step, commit, sync)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the current run (docs/semantics.md, "Finishing and run states"); a no-op when there is none."""
    lc = _lifecycle()
    if lc is not None:
        lc.finish(exit_code, quiet)


def define_metric(name: str, **kwargs: Any) -> Any:
    """``define_metric`` on the current run (docs/semantics.md, "define_metric")."""
    lc = _lifecycle()
    if lc is None:
        raise UsageError("runyard.define_metric() was called before runyard.init(); call runyard.init() first")
    return lc.define_metric(name, **kwargs)


def unset() -> None:
    """Finish every live run of this process (used by tests and notebooks)."""
    lc = _lifecycle()
    if lc is not None:
        lc.unset()


def save(glob_str: Any = None, base_path: Any = None, policy: str = "live") -> list[str]:
    """Save files matching ``glob_str`` with the current run (``Run.save``)."""
    from .sdk import lifecycle

    return lifecycle.save(glob_str, base_path, policy)


def restore(name: str, run_path: str | None = None, replace: bool = False, root: Any = None) -> Any:
    """A file saved with a run, copied here and opened for reading (``lifecycle.restore``)."""
    from .sdk import lifecycle

    return lifecycle.restore(name, run_path, replace, root)


def alert(title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
    """Record an alert on the current run and print it (``Run.alert``)."""
    from .sdk import lifecycle

    lifecycle.alert(title, text, level, wait_duration)
