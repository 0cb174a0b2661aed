"""What travels on the queue from the caller's thread to the writer thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class RowItem:
    """One committed history row; ``media``: values hold Media to encode; ``numeric``: every
    value is an int or float (the writer may skip per-value kind checks)."""

    step: int
    ts: float
    runtime: float
    data: dict[str, Any]
    media: bool
    numeric: bool = False
    extra: int = 0  # queue weight of the row's media beyond its values (see values.Normalized)


@dataclass(slots=True)
class RecordItem:
    """Any other record (config, summary edit, output, metric, update, metadata)."""

    record: list[Any]
    media: bool = False


@dataclass(slots=True)
class SyncItem:
    """A barrier: the writer writes everything before it, runs ``call`` and sets ``done``."""

    done: threading.Event
    call: Callable[[], Any] | None = None
    result: Any = None


@dataclass(slots=True)
class StopItem:
    """The last item: write the end record, sync, close."""

    ts: float
    runtime: float
    exit_code: int
    error: str | None


Item = RowItem | RecordItem | SyncItem | StopItem
