"""Reading a run folder back: its state (snapshot plus the records after it) and its history.

Layout of a run folder (``<root>/<project>/<run_id>/``):

    run.rylog          the append-only log, the source of truth (``framing``, ``records``)
    snapshot.msgpack   the derived ``RunState`` at some log offset; a cache, safe to delete
    media/<kind>/...   content-addressed media files, written before the rows that cite them
    files/             other files of the run (arrays stored from the summary, ...)
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgpack

from ..errors import RunyardWarning
from .framing import LogStream, ScanResult, read_frames
from .records import Kind, decode
from .rowblock import expand_rows
from .state import CRASHED, RUNNING, RunState

LOG_NAME = "run.rylog"
SNAPSHOT_NAME = "snapshot.msgpack"
# A run on another host is taken as crashed when its log has not been touched for this long.
# Writers heartbeat every few seconds, so only a dead process (or a hung NFS) stays this quiet.
STALE_AFTER = 300.0

_warned_torn: set[tuple[str, int, int]] = set()


def _warn_torn(path: Path, result: ScanResult) -> None:
    key = (str(path), result.valid_end, result.torn_bytes)
    if result.torn_bytes and key not in _warned_torn:  # once per torn state, not once per read
        _warned_torn.add(key)
        warnings.warn(
            f"{path}: ignoring {result.torn_bytes} bytes after offset {result.valid_end} that do "
            "not form a complete record (the writing process probably died mid-write); every "
            "record before them was read",
            RunyardWarning,
            stacklevel=3,
        )


def process_start_ticks(pid: int) -> str:
    """A token that changes if ``pid`` is reused: the process start time from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2 :].split()[19].decode()
    except (OSError, IndexError, ValueError):
        return ""


def _process_alive(pid: int, start_token: str) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not start_token or process_start_ticks(pid) in ("", start_token)


class RunFolder:
    """One run's folder on disk: read-only access to its log and derived state."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.log_path = self.path / LOG_NAME

    def exists(self) -> bool:
        return self.log_path.is_file()

    def records(self, start: int = 0, result: ScanResult | None = None) -> Iterator[tuple[int, list[Any]]]:
        """Yield ``(offset, record)`` for every good record from ``start``; warn once on a torn tail."""
        scan = result if result is not None else ScanResult(0, 0)
        for offset, payload in read_frames(self.log_path, start, scan):
            yield offset, decode(payload)
        _warn_torn(self.log_path, scan)

    def load_state(self, resolve_liveness: bool = True) -> tuple[RunState, int]:
        """Return the run's state and the log offset it covers (snapshot + replay of the rest)."""
        state, start = self._load_snapshot()
        result = ScanResult(start, 0)
        for _, record in self.records(start, result):
            state.apply(record)
        if resolve_liveness:
            resolve_crash(state, self.log_path)
        return state, result.valid_end

    def _load_snapshot(self) -> tuple[RunState, int]:
        snap = self.path / SNAPSHOT_NAME
        try:
            with open(snap, "rb") as f:
                d = msgpack.unpackb(f.read(), raw=False, strict_map_key=False)
            offset = int(d["offset"])
            if offset <= self.log_path.stat().st_size:
                return RunState.from_dict(d["state"]), offset
        except (OSError, ValueError, KeyError, TypeError, msgpack.UnpackException):
            pass  # no snapshot, or a stale or damaged one: replay from the start
        return RunState(), 0

    def rows(self, min_step: int = 0, max_step: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield every committed history row, with ``_step``, ``_timestamp`` and ``_runtime``."""
        scan = ScanResult(0, 0)
        for _, row in history_rows(self.log_path, 0, min_step, max_step, None, scan):
            yield row
        _warn_torn(self.log_path, scan)

    def output(self) -> Iterator[tuple[float, int, str]]:
        """Yield the captured console output as ``(timestamp, stream, text)``."""
        for _, record in self.records():
            if record[0] == Kind.OUTPUT:
                yield record[1], record[2], record[3]


def history_rows(log_path: Path | LogStream, start: int = 0, min_step: int = 0, max_step: int | None = None,
                 keys: Sequence[str] | None = None,
                 scan: ScanResult | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(offset, row)`` of every committed history row from log offset ``start`` whose step is in
    ``[min_step, max_step)``; with ``keys``, only rows holding all of them, reduced to them. Each
    row carries ``_step``, ``_timestamp`` and ``_runtime``. The one reader of history rows: the
    read API's ``scan_history`` and the server's history pages both use it."""
    for offset, payload in read_frames(log_path, start, scan if scan is not None else ScanResult(start, 0)):
        record = decode(payload)
        kind = record[0]
        if kind == Kind.ROW:
            rows: Iterable[tuple[int, float, float, dict[str, Any]]] = (record[1:],)  # type: ignore[assignment]
        elif kind == Kind.ROWS:
            rows = expand_rows(record)  # several rows share the frame's offset
        else:
            continue
        for step, ts, rt, data in rows:
            if step < min_step or (max_step is not None and step >= max_step):
                continue
            data["_step"], data["_timestamp"], data["_runtime"] = step, ts, rt
            if keys:
                if not all(k in data for k in keys):
                    continue
                data = {k: data[k] for k in (*keys, "_step", "_timestamp", "_runtime")}
            yield offset, data


def resolve_crash(state: RunState, log_path: Path, now: float | None = None) -> None:
    """Mark a run without an end record as crashed when its process is gone.

    On the writer's host the process table decides (a slow disk or a busy machine cannot make a
    live run look crashed); elsewhere, a log untouched for ``STALE_AFTER`` seconds does.
    """
    if state.state != RUNNING:
        return
    if state.host == socket.gethostname():
        alive = _process_alive(state.pid, state.pid_start)
    else:
        try:
            touched = max(state.heartbeat_at, log_path.stat().st_mtime)
        except OSError:
            touched = state.heartbeat_at
        alive = (now if now is not None else time.time()) - touched < STALE_AFTER
    if not alive:
        state.state = CRASHED
