"""The writer thread: it turns what the caller's thread queued into records of the run's log,
written through ``RunLog`` (the one owner of the file, which holds the run's lock).

It takes items off a ``SimpleQueue`` in batches, encodes media (``Media.to_ref``), frames and
appends records with one ``write()`` per batch, keeps the run's derived state (summary, step,
keys) up to date, heartbeats while the run is quiet, snapshots the state now and then, and fsyncs
by the ``fsync_interval`` setting (``online_fsync_interval`` in online mode, when lower; a sender
waiting for durable data is woken by ``on_durable`` after each fsync). The caller's thread only
counts what it queued against what the writer has done, and waits when the backlog passes
``queue_limit`` (backpressure, no drops).

The hot path: consecutive rows of floats under the same keys arrive as one ``FloatRows`` block
the caller's thread filled (``items.FloatRows``); the writer closes it, turns it into one columnar
ROWS record (numpy does the encoding) and applies it to the state at once
(``RunState.apply_rows``). It does no Python work per row, so it holds the GIL, which the training
loop feels, for little time. Every other row is one ROW record.

A failed write (full disk, vanished folder) is reported once; the file is cut back to its last
whole frame so later records stay readable, the rows are counted in ``state.lost`` (the snapshot
claims none of them) and a LOSS record says so once writing works again. A row that cannot be
encoded is reported naming its step and keys; the run goes on.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

from ..log.framing import frame
from ..log.reader import SNAPSHOT_NAME
from ..log.records import Kind, encode
from ..log.rowblock import RowsBlock, rows_record
from ..log.runlog import RecordTooLargeError, RunLog, record_too_large
from ..log.state import RunState
from ..types.base import MediaStore, atomic_write
from .items import FLOATS, MEDIA, NUMBERS, FloatRows, Item, RecordItem, RowItem, StopItem, SyncItem
from .report import Reporter
from .values import materialize

_ROW = int(Kind.ROW)
_BATCH_ITEMS = 5000
# Queue weight of a row beyond its values, so the backlog bound also holds for rows of one value.
ROW_OVERHEAD = 4
_BATCH_BYTES = 4 * 1024 * 1024
# After writing a batch the writer naps this long so the next batch gathers many rows: the
# training loop keeps the GIL instead of being interrupted by a wake-up per log() call.
_NAP = 0.02


class Writer:
    def __init__(
        self,
        folder: Path,
        log: RunLog,
        state: RunState,
        settings: dict[str, Any],
        reporter: Reporter,
        on_warning: Callable[[str, str], None],
    ) -> None:
        self.folder = folder
        self.log = log  # the one owner of the file: appends, syncs, holds the run's lock
        self.state = state
        self.media = MediaStore(folder)
        self.reporter = reporter
        self.on_warning = on_warning  # (kind, message): warnings about the user's data
        self.queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self.done_weight = 0  # written by this thread only; the caller compares it to its count
        self.rows_lock = threading.Lock()  # the run's lock (set by Run): a FloatRows block is closed under it
        self.failed_rows = 0  # rows the writer could not encode (each reported once per kind)
        self._loss_unrecorded = False  # a write failed and no LOSS record says so yet
        self._batch_rows = 0  # ROW records in the batch being built, and its first and last step
        self._batch_steps = [0, 0]
        self._batch_other = 0  # other records in it
        self.closed = False
        self._flush_interval = float(settings["flush_interval"])
        self._fsync_interval = float(settings["fsync_interval"])
        if settings.get("mode") == "online":  # the sender ships only what is durable: fsync sooner
            self._fsync_interval = min(self._fsync_interval, float(settings["online_fsync_interval"]))
        self.on_durable: Callable[[], None] | None = None  # called after each fsync (the online sender's wake)
        self._heartbeat_interval = float(settings["heartbeat_interval"])
        self._last_fsync = self._last_beat = self._last_snapshot = time.monotonic()
        self._dirty_since_fsync = False
        self._warned_mixed: set[str] = set()
        self.wake = threading.Event()  # set by a caller under backpressure: cut the nap short
        self.progress = threading.Event()  # set after every batch: a waiting caller re-checks
        self.session_start = time.time()  # wall clock of this process's start of the run
        self.runtime_offset = state.runtime  # runtime accumulated by earlier sessions (resume)
        self._thread = threading.Thread(target=self._run, name="runyard-writer", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def after_fork_in_child(self) -> None:
        """The writer thread does not exist in a forked child: fresh queue and events, no file."""
        self.queue = queue.SimpleQueue()
        self.wake = threading.Event()
        self.progress = threading.Event()

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the loop ----------------------------------------------------------------------------

    def _run(self) -> None:
        buf = bytearray()
        get = self.queue.get
        get_nowait = self.queue.get_nowait
        while True:
            timeout = self._heartbeat_interval
            if self._dirty_since_fsync:  # a quiet run still makes what it wrote durable on time
                timeout = min(timeout, max(0.0, self._last_fsync + self._fsync_interval - time.monotonic()))
            try:
                item: Item | None = get(timeout=timeout)
            except queue.Empty:
                item = None
            syncs: list[SyncItem] = []
            stop: StopItem | None = None
            count = 0
            drained = False
            while item is not None:
                try:
                    if type(item) is FloatRows:
                        self._float_rows(item, buf)
                    elif type(item) is tuple:
                        self._row(item, buf)
                    elif isinstance(item, RecordItem):
                        self._record(item, buf)
                    elif isinstance(item, SyncItem):
                        syncs.append(item)
                    elif isinstance(item, StopItem):
                        stop = item
                        break
                except Exception as e:  # never let one bad item kill the writer
                    self.reporter.once(
                        f"item-{type(e).__name__}",
                        f"could not write a record — {type(e).__name__}: {e} — it was left out; "
                        "the run goes on",
                    )
                count += 1
                if syncs or count >= _BATCH_ITEMS or len(buf) >= _BATCH_BYTES:
                    break
                try:
                    item = get_nowait()
                except queue.Empty:
                    item = None
                    drained = True
            now = time.monotonic()
            if stop is None and count == 0 and now - self._last_beat >= self._heartbeat_interval:
                self._append(buf, [Kind.HEARTBEAT, time.time(), self._runtime_now()])
            if buf:
                self._write(buf)
                buf.clear()
            if stop is not None:
                self._stop(stop)
                for s in syncs:
                    self._release(s)
                return
            if now - self._last_snapshot >= self._heartbeat_interval:
                self._sync_files(force=False)
                self._snapshot()
            elif self._dirty_since_fsync and (
                self._fsync_interval == 0 or now - self._last_fsync >= self._fsync_interval
            ):
                self._sync_files(force=False)
            for s in syncs:
                self._release(s)
            self.progress.set()
            if drained and not syncs:  # caught up: let the next batch gather (never nap on a backlog)
                self.wake.wait(min(_NAP, self._flush_interval))
                self.wake.clear()

    def _release(self, s: SyncItem) -> None:
        if s.call is not None:
            try:
                s.result = s.call()
            except Exception as e:  # pragma: no cover - the call is runyard's own
                s.result = e
        s.done.set()

    def _runtime_now(self) -> float:
        return self.runtime_offset + (time.time() - self.session_start)

    # -- records -----------------------------------------------------------------------------

    def _append(self, buf: bytearray, record: list[Any]) -> None:
        buf += frame(encode(record))
        self._batch_other += 1
        self.state.apply(record)

    def _row(self, item: RowItem, buf: bytearray) -> None:
        step, ts, data, kind, extra = item
        weight = len(data) + ROW_OVERHEAD + extra  # as the caller counted it
        try:
            self._prepare_and_append(step, ts, data, kind, buf)
        except Exception as e:  # this row only; the run goes on
            self.failed_rows += 1
            self.reporter.once(
                f"row-{type(e).__name__}",
                f"could not write step {step} (keys {sorted(map(str, data))[:10]}) — {type(e).__name__}: "
                f"{e} — that row was left out (shown once per kind of error; finish() gives the count)",
            )
        finally:
            self.done_weight += weight  # also when the row failed: a waiting caller must not hang
        if self.state.new_mixed:
            self._warn_mixed()

    def _prepare_and_append(self, step: int, ts: float, data: dict[str, Any], kind: int, buf: bytearray) -> None:
        known_keys = self.state.numeric_keys.issuperset(data.keys())
        if not known_keys:
            data = self._check_keys(data, step)
        if kind == MEDIA:
            data = self._materialize(data, f"step {step}")
        summary = self.state.summary
        if summary.metrics.has_step_metrics:
            _fill_step_metrics(data, summary)
        runtime = self.runtime_offset + ts - self.session_start
        payload = encode([_ROW, step, ts, runtime, data])
        if len(payload) > self.log.max_record:
            raise RecordTooLargeError(record_too_large([_ROW, data], len(payload), self.log.max_record))
        buf += frame(payload)
        self._batch_rows += 1
        if self._batch_rows == 1:
            self._batch_steps[0] = step
        self._batch_steps[1] = step
        self.state.apply_row(step, ts, runtime, data, kind in (NUMBERS, FLOATS) and known_keys)

    def _float_rows(self, block: FloatRows, buf: bytearray) -> None:
        """Write a block of float rows: one ROWS record (columnar), or a ROW for one row."""
        with self.rows_lock:  # the caller appends under this lock while the block is open
            block.open = False
        n, keys = block.n, block.keys
        # the caller counted whole groups of rows (items.FloatRows)
        self.done_weight += (n & ~block.mask) * block.weight
        if n == 1:
            step, ts, data = block.step0, block.ts[0], dict(zip(keys, block.values, strict=True))
            self._row((step, ts, data, FLOATS, 0), buf)
            self.done_weight -= len(keys) + ROW_OVERHEAD  # _row counted it
            return
        # np.fromiter with a count converts lists of Python numbers faster than np.array, which
        # first discovers a dtype and shape; the writer holds the GIL meanwhile, and log() waits
        ts_arr = np.fromiter(block.ts, np.float64, n)
        steps = (np.arange(block.step0, block.step0 + n, dtype=np.int64) if block.steps is None
                 else np.fromiter(block.steps, np.int64, n))
        rows = RowsBlock(list(keys), steps, ts_arr,
                         (self.runtime_offset + ts_arr) - self.session_start,
                         np.fromiter(block.values, np.float64, n * len(keys)).reshape(n, len(keys)))
        first, last = int(steps[0]), int(steps[-1])
        try:
            if not self.state.numeric_keys.issuperset(keys):
                self._check_keys(dict.fromkeys(keys), first)
            buf += frame(encode(rows_record(rows)))
            self.state.apply_rows(rows)
        except Exception as e:  # pragma: no cover - floats under string keys always encode
            self.failed_rows += n
            self.reporter.once(f"rows-{type(e).__name__}",
                               f"could not write steps {first}–{last} — {type(e).__name__}: {e} — left out")
            return
        self._batch_rows += n
        if self._batch_rows == n:
            self._batch_steps[0] = first
        self._batch_steps[1] = last
        if self.state.new_mixed:
            self._warn_mixed()

    def _check_keys(self, data: dict[str, Any], step: int) -> dict[str, Any]:
        bad = [k for k in data if type(k) is not str]
        if not bad:
            return data
        for k in bad:
            self.reporter.once(
                f"key-{k!r}",
                f"log(): key {k!r} ({type(k).__name__}) at step {step} is not a string; keys must be "
                "strings — that key was left out (shown once per key)",
            )
        return {k: v for k, v in data.items() if type(k) is str}

    def _record(self, item: RecordItem, buf: bytearray) -> None:
        record = item.record
        try:
            if item.media and record[0] == Kind.SUMMARY:
                record[1] = self._materialize(record[1], "the summary")
            self._append(buf, record)
        finally:
            self.done_weight += 1

    def _materialize(self, data: dict[str, Any], where: str) -> dict[str, Any]:
        out = {}
        for key, value in data.items():
            try:
                out[key] = materialize(value, self.media)
            except Exception as e:
                self.reporter.once(
                    f"media-{key}",
                    f"could not store {key!r} at {where} — {type(e).__name__}: {e} — that key was "
                    "left out (this message is shown once per key)",
                )
        return out

    def _warn_mixed(self) -> None:
        kinds = self.state.key_kinds
        for key in self.state.new_mixed:
            if key not in self._warned_mixed:
                self._warned_mixed.add(key)
                self.on_warning(
                    "mixed",
                    f"key {key!r} has been logged as {', '.join(kinds[key])}: one key should hold "
                    "one kind of value; the UI shows each kind apart",
                )
        self.state.new_mixed.clear()

    # -- I/O ---------------------------------------------------------------------------------

    def _write(self, buf: bytearray) -> None:
        rows, other, (first, last) = self._batch_rows, self._batch_other, self._batch_steps
        self._batch_rows = self._batch_other = 0
        if self._loss_unrecorded:
            self._record_loss()
        try:
            self.log.write(buf)
        except OSError as e:
            lost = self.state.lost
            lost["rows"] = lost.get("rows", 0) + rows
            lost["records"] = lost.get("records", 0) + other
            if rows:
                lost.setdefault("first_step", first)
                lost["last_step"] = max(lost.get("last_step", last), last)
            lost["error"] = f"{e.strerror or e}"
            self.state.rows -= rows  # the state (and its snapshot) counts the rows the log holds
            self._loss_unrecorded = True
            self.reporter.once(
                "write",
                f"could not write to {self.folder / 'run.rylog'} — {e} — rows from now on may not be "
                "saved; the run goes on, the loss is recorded in the run once writing works again, and "
                "finish() says how many rows were lost",
            )
            return
        self._dirty_since_fsync = True

    def _record_loss(self) -> None:
        """Write a LOSS record with the totals so far, once writing works again."""
        try:
            self.log.write(frame(encode([Kind.LOSS, time.time(), dict(self.state.lost)])))
        except OSError:
            return
        self._loss_unrecorded = False

    def loss_message(self) -> str | None:
        """What failed writes cost, for finish(); None when nothing was lost."""
        lost = self.state.lost
        if not lost:
            return None
        steps = f" (steps {lost['first_step']}–{lost['last_step']})" if lost.get("rows") else ""
        return (f"{lost.get('rows', 0):,} rows{steps} were not written — {lost.get('error')}; the run "
                "records the loss")

    def _sync_files(self, force: bool) -> None:
        if not (self._dirty_since_fsync or force):
            return
        self.media.sync()
        try:
            self.log.sync()
        except OSError as e:
            self.reporter.once("fsync", f"could not fsync the run log — {e} — data may be lost on power failure")
        self._dirty_since_fsync = False
        self._last_fsync = time.monotonic()
        if self.on_durable is not None:
            self.on_durable()

    def _snapshot(self) -> None:
        self._last_snapshot = self._last_beat = time.monotonic()
        try:
            data = msgpack.packb({"offset": self.log.end, "state": self.state.to_dict()}, use_bin_type=True)
            atomic_write(self.folder / SNAPSHOT_NAME, data)
        except (OSError, TypeError, ValueError) as e:
            self.reporter.once(
                "snapshot", f"could not save the state snapshot — {e} — readers will replay the log instead"
            )

    def _stop(self, item: StopItem) -> None:
        buf = bytearray()
        extra: dict[str, Any] = {"error": item.error} if item.error else {}
        self._append(buf, [Kind.END, item.ts, item.runtime, item.exit_code, extra])
        self._write(buf)
        self._sync_files(force=True)
        self._snapshot()
        self.log.close()  # releases the run's lock
        self.closed = True


def _fill_step_metrics(data: dict[str, Any], summary: Any) -> None:
    """Step sync (docs/semantics.md, "define_metric"): a metric logged without its step metric gets its last value."""
    lookup = summary.metrics.lookup
    last = summary.last
    for key in list(data):
        m = lookup(key)
        if m is not None and m.step_metric and m.step_sync and m.step_metric not in data:
            v = last.get(m.step_metric)
            if v is not None:
                data[m.step_metric] = v
