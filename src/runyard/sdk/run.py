"""``Run``: the live run of a training process — step and commit rules, config, summary, finish.

The step rules are those of docs/semantics.md, "Steps and commits", (a trace test reproduces the reference row for row):
``_step`` is the step of the open row; ``_pending`` holds keys merged into it but not yet committed.
"""

from __future__ import annotations

import operator
import os
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

import msgpack

from ..errors import LogValueError, RunyardWarning, StepError, UsageError
from ..log.records import Kind
from ..log.summary import AGGREGATES, MetricDef
from .config import Config
from .console import ConsoleCapture
from .extras import RunExtras
from .history import History
from .items import FLOATS, MEDIA, NUMBERS, OTHER, FloatRows, Item, RecordItem, StopItem, SyncItem, float_rows_cap
from .live_summary import Summary
from .report import Reporter, say
from .run_surface import RunSurface
from .values import PLAIN_TYPES, Normalized, normalize_row
from .writer import ROW_OVERHEAD, Writer

_plain_only = PLAIN_TYPES.issuperset
_NUMBERS = frozenset({float, int})
_FLOATS = {float}
_STEP_END = 2**63  # steps are int64 in the log and the index
_CLOSED = FloatRows((), 0, 0)
_now = time.time  # one lookup less on log()'s hot path
_count = operator.countOf
_CLOSED.open = False


@dataclass(slots=True)
class PendingRow:
    """The open row: keys merged into the current step but not yet committed."""

    data: dict[str, Any]
    media: bool = False  # values hold Media the writer must encode
    extra: int = 0  # queue weight of that media beyond the row's values
    raw: bool = False  # handed out by ``pending_row()`` (run.history.row): check values at commit
    floats: bool = False  # every value is a plain float: committed as FLOATS (into a block)

    def merge(self, row: dict[str, Any], media: bool, extra: int, floats: bool) -> None:
        self.data.update(row)
        self.media = self.media or media
        self.extra += extra
        self.floats = self.floats and floats


def _opaque(obj: Any) -> Any:
    return None  # Media and other objects: not counted by the size check (they become small refs)


def _too_large(key: str, size: int, limit: int) -> str:
    return (
        f"log(): key {key!r} holds {size:,} bytes, more than a run log record takes ({limit:,} bytes, the "
        "max_record_bytes setting); nothing from this call was logged. Store large data as a file "
        "(run.save) or an artifact."
    )


class Run(RunSurface):
    """A run being logged by this process. Create it with ``runyard.init()``."""

    def __init__(
        self,
        writer: Writer,
        settings: dict[str, Any],
        reporter: Reporter,
        resumed: bool,
        root: str,
        on_finish: Callable[[Run], None] = lambda run: None,
    ) -> None:
        state = writer.state
        self._on_finish = on_finish  # the process-wide bookkeeping (lifecycle.forget)
        self._writer = writer
        self._queue_raw = writer.queue.put
        self._settings = settings
        self._reporter = reporter
        self._lock = threading.Lock()
        writer.rows_lock = self._lock  # the writer closes a FloatRows block under it before reading it
        self._block = _CLOSED  # the open block of float rows (items.FloatRows), if any
        self._step_metrics = state.summary.metrics.has_step_metrics  # rows then need the writer's step fill
        self._step = state.last_step + 1
        self._pending: PendingRow | None = None
        self._known_keys: set[str] = set()  # keys logged before, known to be strings
        self._max_record = int(settings["max_record_bytes"])
        self._queued_weight = 0
        self._queue_limit = int(settings["queue_limit"])
        self._strict = bool(settings["strict_steps"])
        self._start_wall = writer.session_start
        self._runtime_offset = writer.runtime_offset
        self._accepting = True
        self._finished = False
        self._owner_pid = os.getpid()
        self._exit_code: int | None = None
        self._error: str | None = None
        self._warned_backpressure = False
        self._console: ConsoleCapture | None = None
        self._sender: Any = None  # online mode: the ``Sender`` streaming the log (sdk/sender.py)
        self.id: str = state.id
        self.project: str = state.project
        self.entity: str = state.entity
        self.resumed = resumed
        self.mode = settings["mode"]
        self.settings = dict(settings)
        self.dir = str(writer.folder)
        self.root = root
        self.start_time = self._start_wall
        self.config = Config(dict(state.config), self._config_changed)
        self.summary = Summary(self._read_summary, self._write_summary)
        self.history = History(self)
        self._extras = RunExtras(self)

    # -- identity ----------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """``entity/project/run_id``, accepted by ``runyard.Api().run()``."""
        return f"{self.entity}/{self.project}/{self.id}"

    @property
    def name(self) -> str:
        return self._writer.state.name

    @name.setter
    def name(self, value: str) -> None:
        self._update(name=str(value))

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._writer.state.tags)

    @tags.setter
    def tags(self, value: Any) -> None:
        self._update(tags=[str(t) for t in value])

    @property
    def notes(self) -> str | None:
        return self._writer.state.notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._update(notes=value)

    @property
    def group(self) -> str | None:
        return self._writer.state.group

    @property
    def job_type(self) -> str | None:
        return self._writer.state.job_type

    @property
    def step(self) -> int:
        """The step the next committed row will get."""
        return self._step

    @property
    def offline(self) -> bool:
        return True

    @property
    def disabled(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<runyard Run {self.path} ({self.name})>"

    # -- logging -----------------------------------------------------------------------------

    def log(self, data: dict[str, Any] | None = None, step: int | None = None, commit: bool | None = None,
            sync: bool | None = None) -> None:
        """Record ``data`` into one step of the history (docs/semantics.md, "Steps and commits");
        ``log()`` with no data commits the pending row (or an empty one), as in wandb."""
        # The hot path: a row of floats under the keys of the open block, with no step given and no
        # pending row, is committed by appending to the block (items.FloatRows). Its checks are the
        # cheapest that are exact: for a row of one value (the most common, ``log({"loss": x})``)
        # one lookup of the block's key; else the key tuple, then a count of the values whose type is
        # float. The block's ``open``, checked under the lock, also stands for "the run accepts
        # rows" (finish() closes it). The lock is taken by hand: half the cost of ``with`` here.
        blk = self._block
        if step is None and commit is not False and type(data) is dict:
            if len(data) == 1:
                v: Any = data.get(blk.hot_key)
                hot = type(v) is float
                vals = None
            else:
                vals = data.values()
                hot = blk.hot_keys == tuple(data) and _count(map(type, vals), float) == blk.width
        else:
            hot = False
        if hot:
            lock = self._lock
            lock.acquire()
            try:
                hot = blk.open and self._pending is None  # then _step is blk.step0 + blk.n (items.FloatRows)
                if hot:
                    if vals is None:
                        blk.values.append(v)
                    else:
                        blk.values.extend(vals)
                    blk.ts.append(_now())
                    self._step += 1
                    n = blk.n = blk.n + 1
                    if not n & blk.mask:  # a block's rows weigh in by the group (items.FloatRows)
                        self._queued_weight += blk.weight * (blk.mask + 1)
                        if n == blk.cap:
                            blk.open = False
            finally:
                lock.release()
            if hot:
                if not n & blk.mask and self._queued_weight - self._writer.done_weight > self._queue_limit:
                    self._backpressure()
                return
        if not self._accepting:
            self._reject()
            return
        if type(data) is not dict:
            data = _as_dict(data)
        if not self._known_keys.issuperset(data):  # a key not seen before: is it a string?
            self._check_new_keys(data)
        errors = None
        media = False
        extra = 0  # queue weight of media beyond the row's values
        types = set(map(type, data.values()))
        if _plain_only(types):
            if str in types:
                self._check_strings(data)
            if types == _FLOATS:  # the hot path: the values go straight into a block (_commit)
                row, kind = data, FLOATS  # copied wherever it is kept as a dict
            else:
                row, kind = data.copy(), NUMBERS if types <= _NUMBERS else OTHER
        else:
            kind = OTHER
            flags = Normalized()
            row, errors = normalize_row(data, flags)
            media, extra = flags.media, flags.weight
            if errors and not row:  # nothing left to log: don't spend a step on an empty row
                raise LogValueError("\n".join(errors))
            if media:
                _check_media_counts(row)
                kind = MEDIA
            self._check_sizes(row)
        if step is not None and (type(step) is not int or not 0 <= step < _STEP_END):
            step = _check_step(step)
        with self._lock:
            s = self._step
            pending = self._pending
            if step is None:
                if pending is not None:
                    pending.merge(row, media, extra, kind == FLOATS)
                    if commit is not False:
                        self._commit_pending(s)
                        self._step = s + 1
                elif commit is False:
                    self._pending = PendingRow(row.copy() if row is data else row, media, extra, floats=kind == FLOATS)
                else:
                    self._commit(s, row, kind, extra)
                    self._step = s + 1
            elif step < s:
                self._lower_step(step, s, row)
            else:
                if step > s:
                    if pending is not None:
                        self._commit_pending(s)
                        pending = None
                    self._step = s = step
                if pending is None:
                    self._pending = PendingRow(row.copy() if row is data else row, media, extra, floats=kind == FLOATS)
                else:
                    pending.merge(row, media, extra, kind == FLOATS)
                if commit:
                    self._commit_pending(s)
                    self._step = s + 1
        if self._queued_weight - self._writer.done_weight > self._queue_limit:
            self._backpressure()  # outside the lock: the writer takes it to close a block
        if errors:
            raise LogValueError("\n".join(errors) + "\n(the call's other keys were logged)")

    def _check_new_keys(self, data: dict[Any, Any]) -> None:
        bad = [k for k in data if type(k) is not str]
        if bad:
            raise LogValueError(
                f"log(): key {bad[0]!r} is a {type(bad[0]).__name__}; keys must be strings (nothing from "
                "this call was logged)"
            )
        self._known_keys.update(data)

    def _check_strings(self, data: dict[str, Any]) -> None:
        quarter = self._max_record // 4  # a str of n characters takes at most 4n bytes in UTF-8
        for key, v in data.items():
            if type(v) is str and len(v) > quarter:
                size = len(v.encode("utf-8", "surrogatepass"))
                if size > self._max_record - 1024:
                    raise LogValueError(_too_large(key, size, self._max_record))

    def _check_sizes(self, row: dict[str, Any]) -> None:
        """Refuse a value the run log could not hold (its record would be over max_record_bytes)."""
        limit = self._max_record - 1024
        for key, v in row.items():
            t = type(v)
            if t is str:
                self._check_strings({key: v})
            elif t is list or t is dict:
                size = len(msgpack.packb(v, default=_opaque, use_bin_type=True))
                if size > limit:
                    raise LogValueError(_too_large(key, size, self._max_record))

    def pending_row(self) -> dict[str, Any]:
        """The pending (not yet committed) row as a dict the caller may edit (``run.history.row``);
        its values are checked when it is committed."""
        with self._lock:
            if self._pending is None:
                self._pending = PendingRow({})
            self._pending.raw = True
            return self._pending.data

    def _commit_pending(self, step: int) -> None:
        pending = self._pending
        if pending is not None:
            self._pending = None
            if pending.raw:  # the user edited history.row directly: check it now
                flags = Normalized()
                row, errors = normalize_row(pending.data, flags)
                for message in errors:
                    warnings.warn(message + " (from run.history.row; left out)", RunyardWarning, stacklevel=4)
                self._commit(step, row, MEDIA if pending.media or flags.media else OTHER, pending.extra)
            else:
                kind = FLOATS if pending.floats else MEDIA if pending.media else OTHER
                self._commit(step, pending.data, kind, pending.extra)

    def _commit(self, step: int, row: dict[str, Any], kind: int, extra: int = 0) -> None:
        """Queue a row (under ``_lock``). Rows of floats under the keys of the open block join it."""
        ts = time.time()
        if kind == FLOATS and not self._step_metrics:
            blk = self._block
            keys = tuple(row)
            if not (blk.open and blk.keys == keys):
                blk.open = False
                cap = float_rows_cap(len(keys), self._max_record)
                self._block = blk = FloatRows(keys, cap, len(keys) + ROW_OVERHEAD, self._queue_limit, step)
                self._queue_raw(blk)
            blk.add_step(step)
            blk.n += 1
            blk.ts.append(ts)
            blk.values.extend(row.values())
            if not blk.n & blk.mask:
                self._queued_weight += blk.weight * (blk.mask + 1)
            if blk.n == blk.cap:
                blk.open = False
        else:
            self._block.open = False
            self._queue_raw((step, ts, row.copy() if kind == FLOATS else row, kind, extra))
            self._queued_weight += len(row) + ROW_OVERHEAD + extra

    def _queue_put(self, item: Item) -> None:
        """Queue any item other than a row; rows logged after it go to a new block, after it."""
        self._block.open = False
        self._queue_raw(item)

    def _backpressure(self) -> None:
        if not self._warned_backpressure:
            self._warned_backpressure = True
            say(
                f"the writer is behind by more than {self._queue_limit:,} values; log() now waits "
                "for it to catch up (nothing is dropped; raise queue_limit to buffer more)"
            )
        low = self._queue_limit // 2
        writer = self._writer
        while self._queued_weight - writer.done_weight > low and writer.alive():
            writer.progress.clear()
            writer.wake.set()
            writer.progress.wait(0.01)

    def _lower_step(self, step: int, current: int, row: dict[str, Any]) -> None:
        message = (
            f"log(): step {step} is lower than the current step {current}; keys {sorted(row)} were "
            "not logged. Steps only go up; to log out of order, log your own x-axis key (e.g. "
            "'epoch') and pick it as the chart's x-axis."
        )
        if self._strict:
            raise StepError(message)
        warnings.warn(message + " (Set RUNYARD_STRICT_STEPS=1 to raise instead.)", RunyardWarning, stacklevel=3)

    def _reject(self) -> None:
        if self._finished:
            raise UsageError(
                f"log() was called on run {self.path} after finish(); start a new run with "
                "runyard.init() (nothing was logged)"
            )
        if os.getpid() != self._owner_pid:
            self._reporter.once(
                "forked",
                f"log() in a forked child (pid {os.getpid()}) of the process that started run "
                f"{self.path} does nothing: the run belongs to pid {self._owner_pid}. Call "
                "runyard.init() in the child to log a run of its own.",
            )

    # -- records other than rows -------------------------------------------------------------

    def _put_record(self, record: list[Any], media: bool = False) -> None:
        if not self._accepting:
            self._reject()
            return
        self._queue_put(RecordItem(record, media))
        self._queued_weight += 1

    def _config_changed(self, changes: dict[str, Any]) -> None:
        self._put_record([Kind.CONFIG, changes])

    def _update(self, **fields: Any) -> None:
        self._put_record([Kind.UPDATE, fields])
        self._sync()

    def _write_summary(self, updates: dict[str, Any], deleted: list[str], media: bool) -> None:
        self._put_record([Kind.SUMMARY, updates, deleted], media)

    def _read_summary(self) -> dict[str, Any]:
        if self._finished or not self._writer.alive():
            return self._writer.state.summary.current()
        result = self._sync(lambda: self._writer.state.summary.current())
        return result if isinstance(result, dict) else self._writer.state.summary.current()

    def _emit_output(self, ts: float, stream: int, text: str) -> None:
        if self._accepting:
            self._queue_put(RecordItem([Kind.OUTPUT, ts, stream, text]))

    def _sync(self, call: Any = None, timeout: float = 30.0) -> Any:
        """Wait until the writer has handled everything queued so far; run ``call`` there."""
        if not self._writer.alive():
            return call() if call is not None else None
        item = SyncItem(threading.Event(), call)
        self._queue_put(item)
        if not item.done.wait(timeout):
            say(f"the writer did not answer within {timeout:.0f} s; reading possibly stale state")
            return call() if call is not None else None
        return item.result

    def define_metric(
        self,
        name: str,
        step_metric: str | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        goal: str | None = None,
        overwrite: bool | None = None,
    ) -> MetricDef:
        """Declare a metric's x-axis, summary aggregates and goal; globs allowed
        (docs/semantics.md, "define_metric")."""
        if not isinstance(name, str) or not name:
            raise ValueError("define_metric(): name must be a non-empty string")
        if isinstance(step_metric, MetricDef):  # wandb accepts the metric object define_metric returned
            step_metric = step_metric.name
        if "*" in name[:-1]:
            raise ValueError(f"define_metric(): only a trailing '*' glob is supported, got {name!r}")
        aggs: tuple[str, ...] = ()
        if summary:
            aggs = tuple(a.strip() for a in summary.split(",") if a.strip())
            bad = [a for a in aggs if a not in (*AGGREGATES, "none", "copy")]
            if bad:
                raise ValueError(
                    f"define_metric(): unknown summary {bad}; use {', '.join(AGGREGATES)}, copy or none"
                )
        if goal is not None and goal not in ("minimize", "maximize"):
            raise ValueError(f"define_metric(): goal must be 'minimize' or 'maximize', got {goal!r}")
        if "best" in aggs and goal is None:
            raise ValueError("define_metric(): summary='best' needs goal='minimize' or 'maximize'")
        m = MetricDef(name, step_metric, aggs, goal, bool(hidden), step_sync is not False, overwrite is not False)
        self._put_record([Kind.METRIC, m.to_record()])
        if step_metric:
            self._step_metrics = True
        return m

    # -- files, code, alerts (sdk/extras.py) ----------------------------------------------------

    def save(self, glob_str: str | os.PathLike[str] | None = None, base_path: str | os.PathLike[str] | None = None,
             policy: str = "live") -> list[str]:
        """Copy files matching ``glob_str`` into the run's ``files/`` (relative to ``base_path``,
        default the glob's folder): ``now``, ``live`` (again whenever they change) or at the ``end``.
        Returns the names stored now. An unreadable file is named on stderr; the run goes on.
        With no ``glob_str`` (wandb's old way to persist ``run.name`` and such edits) it stores
        nothing and says so: those edits are written when they are made."""
        if glob_str is None:
            warnings.warn("run.save() without a file pattern stores nothing: changes to the run's name, tags "
                          "and notes are written when they are made", RunyardWarning, stacklevel=2)
            return []
        return self._extras.files.save(glob_str, base_path, policy)

    def restore(self, name: str, run_path: str | None = None, replace: bool = False,
                root: str | os.PathLike[str] | None = None) -> Any:
        """Copy ``files/<name>`` of this run (or of ``run_path``) into ``root`` (default: this
        run's ``files/``) and return it opened for reading."""
        return self._extras.restore(name, run_path, replace, root)

    def log_code(self, root: str | os.PathLike[str] = ".", name: str | None = None,
                 include_fn: Any = None, exclude_fn: Any = None) -> dict[str, Any]:
        """Store the source files under ``root`` (default ``*.py``) in ``files/code/``, up to the
        ``max_code_bytes`` setting; returns what was stored and how many files were left out."""
        return self._extras.log_code(root, include_fn, exclude_fn)

    def alert(self, title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
        """Record an alert on the run (shown on its page and flagged in the runs table) and print it
        to stderr. The same title again within ``wait_duration`` seconds (default 60) is skipped."""
        self._extras.alert(title, text, level, wait_duration)

    # -- finishing ---------------------------------------------------------------------------

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """Commit any pending row, write everything durably and mark the run finished (0) or
        failed (non-zero). Idempotent; waits at most ``finish_timeout`` seconds."""
        if self._finished or os.getpid() != self._owner_pid:
            return
        if "runyard.integrations.tensorboard" in sys.modules:  # sync_tensorboard: the events left
            sys.modules["runyard.integrations.tensorboard"].finish_run(self)
        if getattr(self, "_artifact_jobs", None):  # artifacts still being stored: their records come first
            from ..artifacts.runs import wait_all

            wait_all(self, float(self._settings["finish_timeout"]))
        self._extras.finish()  # last system metrics row, end/live files, captured environment
        with self._lock:
            if self._finished:
                return
            if self._pending is not None:
                self._commit_pending(self._step)
                self._step += 1
            if exit_code is None:
                exit_code = self._exit_code if self._exit_code is not None else 0
            if self._console is not None:
                self._console.stop()
            self._accepting = False
            self._finished = True
            now = time.time()
            self._queue_put(StopItem(now, self._runtime_offset + now - self._start_wall, int(exit_code), self._error))
        self._wait_for_writer()
        if self._sender is not None:
            self._sender.finish(float(self._settings["upload_timeout"]))
        if "runyard.sdk.watch" in sys.modules:
            sys.modules["runyard.sdk.watch"].unwatch_run(self)
        self._on_finish(self)

    # -- artifacts (docs/artifacts.md) -------------------------------------------------------

    def log_artifact(self, artifact_or_path: Any, name: str | None = None, type: str | None = None,
                     aliases: list[str] | None = None, tags: list[str] | None = None) -> Any:
        """Log an artifact (or a path) as this run's output; stored in the background."""
        from ..artifacts import runs

        return runs.log_artifact(self, artifact_or_path, name, type, aliases, tags)

    def use_artifact(self, artifact_or_name: Any, type: str | None = None, aliases: list[str] | None = None,
                     use_as: str | None = None) -> Any:
        """Mark an artifact version (``"name:v3"``, ``"name:latest"``, ...) as this run's input."""
        from ..artifacts import runs

        return runs.use_artifact(self, artifact_or_name, type, aliases, use_as)

    def link_artifact(self, artifact: Any, target_path: str, aliases: list[str] | None = None) -> Any:
        from ..artifacts import runs

        return runs.link_artifact(self, artifact, target_path, aliases)

    def log_model(self, path: Any, name: str | None = None, aliases: list[str] | None = None) -> Any:
        from ..artifacts import runs

        return runs.log_model(self, path, name, aliases)

    def use_model(self, name: str) -> str:
        from ..artifacts import runs

        return runs.use_model(self, name)

    def link_model(self, path: Any, registered_model_name: str, name: str | None = None,
                   aliases: list[str] | None = None) -> Any:
        from ..artifacts import runs

        return runs.link_model(self, path, registered_model_name, name, aliases)

    def _wait_for_writer(self) -> None:
        timeout = float(self._settings["finish_timeout"])
        backlog = self._queued_weight - self._writer.done_weight
        if backlog > 20_000:
            say(f"writing {backlog:,} values still queued for run {self.path} (waiting up to {timeout:.0f} s)")
        if not self._writer.join(timeout):
            backlog = self._queued_weight - self._writer.done_weight
            say(
                f"gave up waiting for the writer of run {self.path} after {timeout:.0f} s; about "
                f"{backlog:,} values were not written (raise finish_timeout to wait longer)"
            )
        else:
            loss = self._writer.loss_message()
            if loss:
                say(f"run {self.path}: {loss}")
            if self._writer.failed_rows:
                say(f"run {self.path}: {self._writer.failed_rows:,} rows could not be encoded and were left out")

    def _after_fork_in_child(self) -> None:
        """In a forked child: the run belongs to the parent. Its locks and queue may have been
        held or half-used by a parent thread at the fork, so they are made anew (as sentry-python's
        batcher does); the child never writes (log() says so once)."""
        self._accepting = False
        self._lock = threading.Lock()
        self._writer.after_fork_in_child()
        self._writer.rows_lock = self._lock
        self._block = _CLOSED
        self._queue_raw = self._writer.queue.put
        self._reporter.after_fork_in_child()
        if self._console is not None:
            self._console.detach()

    def _mark_failed(self, exc: BaseException) -> None:
        self._exit_code = 1
        self._error = "".join(traceback.format_exception_only(type(exc), exc)).strip()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if exc is not None:
            self._mark_failed(exc)
        self.finish(exit_code=1 if exc is not None else None)
        return False


def _as_dict(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if hasattr(data, "keys") and hasattr(data, "__getitem__"):
        return {k: data[k] for k in data.keys()}
    raise TypeError(
        f"log() takes a dict of values, e.g. run.log({{'loss': 0.1}}); got {type(data).__name__}"
    )


def _check_step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int):
        as_int = getattr(step, "__index__", None)  # numpy integers
        if as_int is None or isinstance(step, bool):
            raise StepError(f"log(): step must be a non-negative integer, got {step!r} ({type(step).__name__})")
        step = as_int()
    if not 0 <= step < _STEP_END:
        raise StepError(f"log(): step must be a non-negative integer below 2**63, got {step}")
    return int(step)


def _check_media_counts(row: dict[str, Any]) -> None:
    try:
        from ..types import limits
    except ImportError:
        return
    limits.check_row(row)
