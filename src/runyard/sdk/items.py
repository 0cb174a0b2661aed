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


class FloatRows:
    """Consecutive rows of plain floats under the same keys, in the same order: their timestamps
    and values, row after row, written as one columnar ROWS record (``log/rowblock``).

    The caller's thread opens a block, queues it at once (so it keeps its place among the other
    items) and appends further rows to it under the run's lock for as long as it stays ``open``:
    a row costs two list appends there and no Python work at all on the writer, which turns the
    whole block into numpy arrays. Queuing any other item closes the block (later rows go to a new
    one, after that item); so does the row that fills it to ``cap``, and the writer closes it under
    the run's lock before it reads it. ``cap`` keeps the record well within max_record_bytes.

    A row's step is ``step0`` plus its place in the block, while the steps are consecutive (rows
    logged without a step always are). A row at another step lists the steps so far in ``steps``
    and empties ``hot_keys``, the keys ``log()``'s hot path matches (and ``hot_key``, the key of
    a block of one column, which it looks up): later rows then come through ``Run._commit``, which
    appends their steps too.

    A block's rows count towards the queue's weight (the backpressure check) by the group of
    ``mask + 1`` rows, on both sides: the caller adds a group's weight when ``n`` reaches a
    multiple of it, the writer the weight of the whole groups it wrote. That keeps a row's
    bookkeeping on the caller's thread to one bit test; the rows outside a whole group (fewer than
    ``mask + 1``, an eighth of the queue's limit at most) are not counted. ``cap`` is a whole number
    of groups, so the hot path checks it only when a group is complete.
    """

    __slots__ = ("cap", "hot_key", "hot_keys", "keys", "mask", "n", "open", "step0", "steps", "ts", "values", "weight",
                 "width")

    def __init__(self, keys: tuple[str, ...], cap: int, weight: int, queue_limit: int = 0, step0: int = 0) -> None:
        self.keys = self.hot_keys = keys
        # a row of one value is matched with one dict lookup, its key's (a third of the cost of
        # unpacking the row's item and comparing a key tuple); NO_KEY is in no row
        self.hot_key: str = keys[0] if len(keys) == 1 else NO_KEY
        self.width = len(keys)  # a row of the block has this many values of type float
        self.weight = weight  # queue weight of one row (values plus the writer's ROW_OVERHEAD)
        group = 1  # rows counted together: a power of two, within the cap and an eighth of the limit
        while group < 256 and group * 2 <= cap and group * 2 * weight * 8 <= queue_limit:
            group *= 2
        self.mask = group - 1
        self.cap = cap - cap % group
        self.step0 = step0
        self.steps: list[int] | None = None  # each row's step, once they are not consecutive
        self.open = True
        self.n = 0
        self.ts: list[float] = []
        self.values: list[float] = []

    def add_step(self, step: int) -> None:
        """Note the step of the row being added (``Run._commit``, under the run's lock)."""
        if self.steps is None:
            if step == self.step0 + self.n:
                return
            self.steps = list(range(self.step0, self.step0 + self.n))
            self.hot_keys = ()  # no key tuple of a row of floats is empty: the hot path leaves the block
            self.hot_key = NO_KEY
        self.steps.append(step)


NO_KEY: Any = object()  # a key no logged row holds


def float_rows_cap(width: int, max_record: int) -> int:
    """How many rows of ``width`` floats one block holds: at most 1 MiB, or half a record."""
    return max(1, min(1024 * 1024, max_record // 2) // (24 + 8 * width))


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


Item = RowItem | FloatRows | RecordItem | SyncItem | StopItem
