"""``run.history`` (docs/semantics.md, "Legacy history access"): the legacy view of the pending row."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .run import Run


class History:
    def __init__(self, run: Run) -> None:
        self._run = run

    @property
    def row(self) -> dict[str, Any]:
        """The pending (not yet committed) row; a mutable dict, committed by the next log()."""
        run = self._run
        with run._lock:
            if run._pending is None:
                run._pending, run._pending_media, run._pending_extra = {}, False, 0
            run._pending_raw = True
            return run._pending

    def add(self, data: dict[str, Any] | None = None) -> None:
        """Commit the pending row with ``data`` merged in, like ``log(data)``."""
        self._run.log(dict(data or {}))

    @property
    def step(self) -> int:
        return self._run.step
