"""A run's user as the read API gives it (``run.user``): the user's name, as a ``str``, with the
attributes scripts read from wandb's public ``User`` (``username``, ``name``)."""

from __future__ import annotations


class RunUser(str):
    """Who a run belongs to: on a team server the user whose key streamed it, on a folder the OS
    login of the process that started it (docs/read-api.md, "Runs")."""

    @property
    def username(self) -> str:
        return str(self)

    @property
    def name(self) -> str:
        return str(self)


def run_user(name: str | None) -> RunUser | None:
    """``name`` as a ``RunUser``; None when the run names no user (logged before runyard kept it)."""
    return RunUser(name) if name else None
