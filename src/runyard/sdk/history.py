"""``run.history`` (docs/semantics.md, "Legacy history access"): the legacy view of the pending row."""

from __future__ import annotations

from typing import Any, Protocol


class _Logs(Protocol):
    @property
    def step(self) -> int: ...

    def log(self, data: dict[str, Any]) -> None: ...

    def pending_row(self) -> dict[str, Any]: ...


class History:
    def __init__(self, run: _Logs) -> None:
        self._run = run

    @property
    def row(self) -> dict[str, Any]:
        """The pending (not yet committed) row; a mutable dict, committed by the next log()."""
        return self._run.pending_row()

    def add(self, data: dict[str, Any] | None = None) -> None:
        """Commit the pending row with ``data`` merged in, like ``log(data)``."""
        self._run.log(dict(data or {}))

    @property
    def step(self) -> int:
        return self._run.step
