"""What travels on the queue from the caller's thread to the writer thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# One committed history row: ``(step, timestamp, row, kind, extra)``. A plain tuple, not an object:
# it is made once per log() call on the caller's thread, where every allocation counts. ``kind``
# says what the values are (``OTHER``, ``NUMBERS``, ``FLOATS`` or ``MEDIA``: Media the writer must
# encode); ``extra`` is the queue weight of the row's media beyond its values (values.Normalized).
RowItem = tuple[int, float, dict[str, Any], int, int]
OTHER, NUMBERS, FLOATS, MEDIA = 0, 1, 2, 3


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
