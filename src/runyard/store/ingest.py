"""Incremental ingest of run logs into the index.

For each run log the index keeps a cursor: the log offset just past the last record ingested,
and the ``RunState`` derived from every record before it. Ingest reads from the cursor, applies
the records, and writes the derived rows (run, keys, series chunks and tiers, media references,
histograms, console output) *and* the advanced cursor in one transaction. So a process killed
mid-ingest leaves the index exactly at a batch boundary, and the next ingest continues from there:
no point is ever stored twice, none is lost, and the result equals an uninterrupted ingest.

A torn tail (a frame cut short by a crash, or still being written) is left for later. Damaged
frames in the middle are skipped by the reader, which resynchronises on the next good frame
(docs/run-log.md): the run is flagged ``corrupt`` with the regions skipped and every good record is
indexed. A record that cannot be interpreted marks the log as corrupt from that offset.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from ..log.append import classify_tail
from ..log.framing import HEADER_SIZE, FrameRuns, LogFormatError, ScanResult, read_frame_runs
from ..log.reader import LOG_NAME, resolve_crash
from ..log.records import Kind
from ..log.rowblock import RowsBlock, RowTemplate, decode_rows, py_value, template_of
from ..log.state import RUNNING, RunState, value_kind
from . import schema as s
from . import series as ser
from .artifact_index import artifact_event_row
from .db import Store
from .jsonutil import dumps

log = logging.getLogger("runyard.store")

BATCH_POINTS = 2_000_000  # values per transaction (bounds memory and the work a kill can lose)
BATCH_RECORDS = 500_000
_ROW = int(Kind.ROW)
_ROWS = int(Kind.ROWS)
_NUM = frozenset({float, int})
LIVENESS_EVERY = 2.0  # seconds between liveness checks of quiet running runs
PRUNE_EVERY = 5.0  # seconds between checks for run folders that were deleted


@dataclass
class RunReport:
    project: str
    run_id: str
    run_pk: int
    records: int = 0
    points: int = 0
    changed: bool = False
    flags: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Series:
    idx: list[int] = field(default_factory=list)
    vals: list[float] = field(default_factory=list)


class _Batch:
    """What one transaction's worth of records adds."""

    def __init__(self) -> None:
        # step, time and runtime of each row: earlier rows as arrays (``parts``, ``flushed`` rows),
        # then the rows read one at a time since, as lists
        self.parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]] = []
        self.flushed = 0
        self.steps: list[int] = []
        self.ts: list[float] = []
        self.rt: list[float] = []
        self.series: dict[str, _Series] = {}
        # rows of numbers only, grouped by their keys: (row numbers, value lists)
        self.shapes: dict[tuple[str, ...], tuple[list[int], list[list[float]]]] = {}
        # the same, decoded in bulk: (row numbers, (rows, keys) value matrix) pieces
        self.blocks: dict[tuple[str, ...], list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]] = {}
        self.hists: list[dict[str, Any]] = []
        self.media: list[dict[str, Any]] = []
        self.output: list[dict[str, Any]] = []
        self.artifacts: list[dict[str, Any]] = []  # artifact_events rows (store/artifact_index.py)
        self.points = 0
        self.records = 0

    @property
    def nrows(self) -> int:
        return self.flushed + len(self.steps)

    def add_rows(self, steps: npt.NDArray[np.int64], ts: npt.NDArray[np.float64], rt: npt.NDArray[np.float64]) -> None:
        self.flush_rows()
        self.parts.append((steps, ts, rt))
        self.flushed += len(steps)

    def flush_rows(self) -> None:
        if self.steps:
            self.parts.append((np.array(self.steps, dtype=np.int64), np.array(self.ts, dtype=np.float64),
                               np.array(self.rt, dtype=np.float64)))
            self.flushed += len(self.steps)
            self.steps, self.ts, self.rt = [], [], []

    def row_arrays(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        self.flush_rows()
        if not self.parts:
            return np.empty(0, np.int64), np.empty(0), np.empty(0)
        if len(self.parts) == 1:
            return self.parts[0]
        return (np.concatenate([p[0] for p in self.parts]), np.concatenate([p[1] for p in self.parts]),
                np.concatenate([p[2] for p in self.parts]))

    def add_value(self, key: str, v: Any, row: int, offset: int, step: int, kinds: dict[str, list[str]],
                  nested: bool) -> None:
        t = type(v)
        if t is float or t is int:
            buf = self.series.get(key)
            if buf is None:
                buf = self.series[key] = _Series()
            buf.idx.append(row)
            buf.vals.append(v)
            self.points += 1
            kind = "number"
        elif t is dict:
            kind_v = v.get("_type")
            if isinstance(kind_v, str):
                if kind_v == "histogram":
                    self.hists.append({"key": key, "offset": offset, "step": step,
                                       "data": msgpack.packb([v.get("values"), v.get("bins")])})
                else:
                    self.media.append({"key": key, "offset": offset, "idx": 0, "step": step,
                                       "type": kind_v, "ref": dumps(v)})
                kind = kind_v
            else:
                for k2, v2 in v.items():
                    self.add_value(f"{key}/{k2}", v2, row, offset, step, kinds, True)
                kind = "dict"
        elif t is list and v and type(v[0]) is dict and isinstance(v[0].get("_type"), str):
            for i, item in enumerate(v):
                if type(item) is dict:
                    self.media.append({"key": key, "offset": offset, "idx": i, "step": step,
                                       "type": str(item.get("_type", "")), "ref": dumps(item)})
            kind = str(v[0]["_type"])
        else:
            kind = value_kind(v)
        if nested:
            known = kinds.get(key)
            if known is None:
                kinds[key] = [kind]
            elif kind not in known:
                known.append(kind)


def _shown_flags(flags: dict[str, Any], state: RunState) -> dict[str, Any]:
    """The run's flags as the runs table shows them: ingest problems, and its alerts (count, worst
    level, last title) so the table can mark runs that raised one."""
    if not state.alerts:
        return flags
    levels = [a.get("level") for a in state.alerts]
    worst = next((lv for lv in ("ERROR", "WARN", "INFO") if lv in levels), "INFO")
    return {**flags, "alerts": {"count": len(state.alerts), "level": worst, "last": state.alerts[-1].get("title")}}


def _flatten(prefix: str, d: dict[str, Any], out: list[tuple[str, Any]], sep: str = ".") -> None:
    for k, v in d.items():
        name = f"{prefix}{sep}{k}"
        if type(v) is dict and not isinstance(v.get("_type"), str):
            _flatten(name, v, out, sep)
        else:
            out.append((name, v))


def field_rows(run_pk: int, state: RunState, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Flattened config/summary/tags of a run: the rows of ``run_fields``."""
    pairs: list[tuple[str, Any]] = []
    _flatten("config", state.config, pairs)
    _flatten("summary", summary, pairs)
    rows = []
    for name, v in pairs:
        num: float | None = None
        text: str | None = None
        t = type(v)
        if t is bool or t is int or t is float:
            fv = float(v)
            if fv == fv and abs(fv) != float("inf"):
                num = fv
            else:
                text = dumps(fv).strip('"')
        elif t is str:
            text = v
        elif v is not None:
            text = dumps(v)
        rows.append({"run_pk": run_pk, "field": name, "num": num, "text": text})
    for tag in state.tags:
        rows.append({"run_pk": run_pk, "field": "tags", "num": None, "text": str(tag)})
    return rows


class Ingestor:
    """Follows the run logs under ``root`` and keeps the index in step with them."""

    def __init__(self, root: str | os.PathLike[str], store: Store) -> None:
        self.root = Path(root)
        self.store = store
        self._seen: dict[Path, tuple[int, float]] = {}  # log -> (size, mtime) fully ingested
        self._running: dict[Path, tuple[int, RunState, float]] = {}  # run_pk, state, last check
        self._failed: set[tuple[str, str]] = set()
        self._pruned_at = -PRUNE_EVERY
        self._lock = threading.RLock()  # one ingest at a time: two would insert the same records

    def run_folders(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for project in sorted(self.root.iterdir()):
            if project.name.startswith(".") or not project.is_dir():
                continue
            for run in sorted(project.iterdir()):
                if not run.name.startswith(".") and (run / LOG_NAME).is_file():
                    yield run

    def ingest_all(self) -> list[RunReport]:
        """One pass over every run log; returns the runs that changed.

        A run whose ingest fails (a database error, a bug) is reported once per kind of failure
        and skipped for this pass; the other runs go on, and it is retried on the next pass.
        """
        changed = []
        folders = list(self.run_folders())
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY:
            self.prune(folders)
        for folder in folders:
            try:
                report = self.ingest_run(folder)
            except Exception as exc:  # noqa: BLE001 - one bad run must not stop the others
                key = (str(folder), type(exc).__name__)
                if key not in self._failed:
                    self._failed.add(key)
                    log.error("ingest of %s failed (%s: %s); the other runs go on, it is retried on "
                              "every pass", folder, type(exc).__name__, exc)
                continue
            if report is not None and report.changed:
                changed.append(report)
        return changed

    def prune(self, folders: list[Path] | None = None) -> list[str]:
        """Drop from the index the runs whose folder (log) is gone; return their paths."""
        self._pruned_at = time.monotonic()
        if not self.root.is_dir():  # an unmounted or moved root is not a reason to forget every run
            return []
        present = {str(f.relative_to(self.root)) for f in (folders if folders is not None else self.run_folders())}
        with self._lock:
            with self.store.read() as conn:
                indexed = conn.execute(sa.select(s.runs.c.pk, s.runs.c.path)).all()
            gone = [(int(pk), path) for pk, path in indexed
                    if path not in present and not (self.root / path / LOG_NAME).is_file()]
            if gone:
                with self.store.begin() as conn:
                    for pk, _ in gone:
                        _delete_run_data(conn, pk, keep_run=False)
                for _, path in gone:
                    self._seen.pop(self.root / path / LOG_NAME, None)
                    self._running.pop(self.root / path / LOG_NAME, None)
        return [path for _, path in gone]

    def ingest_run(self, folder: str | os.PathLike[str]) -> RunReport | None:
        with self._lock:
            return self._ingest_run(Path(folder))

    def forget(self, folder: str | os.PathLike[str]) -> None:
        """Drop what is remembered about a log, so the next pass reads it again."""
        with self._lock:
            self._seen.pop(Path(folder) / LOG_NAME, None)

    def _ingest_run(self, folder: Path) -> RunReport | None:
        log_path = folder / LOG_NAME
        try:
            st = log_path.stat()
        except OSError:
            return None
        if self._seen.get(log_path) == (st.st_size, st.st_mtime):
            return self._check_liveness(folder)
        report = None
        while True:
            part = self._ingest_batch(folder, st.st_size)
            if report is None:
                report = part
            else:
                report.records += part.records
                report.points += part.points
                report.changed |= part.changed
                report.flags = part.flags
            if not part.flags.get("_more"):
                break
        report.flags.pop("_more", None)
        self._seen[log_path] = (st.st_size, st.st_mtime)
        return report

    # -- one transaction --------------------------------------------------------------------

    def _ingest_batch(self, folder: Path, size: int) -> RunReport:
        project, run_id = folder.parent.name, folder.name
        log_path = folder / LOG_NAME
        with self.store.begin() as conn:
            run_pk, offset, blob = self._cursor(conn, project, run_id, folder)
            report = RunReport(project, run_id, run_pk)
            head = _log_head(log_path)
            saved = msgpack.unpackb(blob, raw=False, strict_map_key=False) if blob is not None else None
            old_head = bytes(saved.get("head", b"")) if saved is not None else b""
            n = min(len(old_head), len(head))
            if offset > size or old_head[:n] != head[:n]:
                # The log was replaced (a shorter one, or another run's under the same folder name):
                # what was indexed from the old one no longer holds; start this run over.
                _delete_run_data(conn, run_pk, keep_run=True)
                offset, blob, saved = 0, None, None
            if saved is not None:
                state = RunState.from_dict(saved["state"])
                kinds: dict[str, list[str]] = saved["kinds"]
                flags: dict[str, Any] = saved.get("flags", {})
            else:
                state, kinds, flags = RunState(), {}, {}
            batch = _Batch()
            scan = ScanResult(offset, 0)
            next_offset = offset
            more = False
            try:
                frames = read_frame_runs(log_path, offset, scan)
                stopped = _Pass(state, batch, kinds, flags).run(frames)
                if stopped is not None:
                    next_offset, more = stopped
                else:
                    next_offset = scan.valid_end
                    if scan.torn_bytes:
                        kind = classify_tail(log_path, scan.valid_end)
                        if kind == "corrupt":
                            flags["corrupt"] = {"offset": scan.valid_end, "unread_bytes": scan.torn_bytes}
                        else:
                            flags["torn_tail"] = {"offset": scan.valid_end, "bytes": scan.torn_bytes}
                    else:
                        flags.pop("torn_tail", None)
                frames.close()
                if scan.damaged:  # regions the reader skipped; every good frame after them was read
                    seen = flags.setdefault("corrupt", {"offset": scan.damaged[0][0]}).setdefault("skipped", [])
                    seen.extend([o, n] for o, n in scan.damaged if [o, n] not in seen)
            except LogFormatError as exc:
                flags["corrupt"] = {"offset": 0, "error": str(exc)}
            if state.lost:  # writes that failed (full disk): the run says how many rows it lacks
                flags["lost"] = dict(state.lost)
            report.records, report.points = batch.records, batch.points
            if batch.records or next_offset != offset or blob is None or flags != saved_flags(blob):
                report.changed = True
                self._write(conn, run_pk, folder, state, kinds, flags, batch, next_offset, head)
            report.flags = dict(flags)
            if more:
                report.flags["_more"] = True
        if state.state == RUNNING:
            self._running[log_path] = (run_pk, state, time.monotonic())
        else:
            self._running.pop(log_path, None)
        return report

    def _cursor(self, conn: sa.Connection, project: str, run_id: str,
                folder: Path) -> tuple[int, int, bytes | None]:
        ppk = conn.execute(sa.select(s.projects.c.pk).where(s.projects.c.name == project)).scalar()
        if ppk is None:
            ppk = _insert_pk(conn, sa.insert(s.projects).values(entity="local", name=project,
                                                                created_at=time.time()))
        # FOR UPDATE (PostgreSQL; SQLite has one writer anyway): server processes that follow the
        # same logs take turns on a run, and each continues from the cursor the other left.
        rpk = conn.execute(sa.select(s.runs.c.pk).where(s.runs.c.project_pk == ppk, s.runs.c.run_id == run_id)
                           .with_for_update()).scalar()
        if rpk is None:
            rel = str(folder.relative_to(self.root)) if folder.is_relative_to(self.root) else str(folder)
            rpk = _insert_pk(conn, sa.insert(s.runs).values(
                project_pk=ppk, run_id=run_id, path=rel, name=run_id, state=RUNNING, created_at=0.0,
                updated_at=time.time(), runtime=0.0, last_step=-1, rows=0, tags="[]", config="{}",
                summary="{}", metadata="{}", flags="{}", seq=_next_seq(conn),
            ))
            return int(rpk), 0, None
        row = conn.execute(sa.select(s.cursors.c.offset, s.cursors.c.state)
                           .where(s.cursors.c.run_pk == rpk)).first()
        if row is None:
            return int(rpk), 0, None
        return int(rpk), int(row[0]), bytes(row[1])

    @staticmethod
    def _apply(state: RunState, record: list[Any], off: int, batch: _Batch,
               kinds: dict[str, list[str]]) -> None:
        kind = record[0]
        if kind == Kind.ROW:
            _, step, ts, rt, data = record
            if not isinstance(data, dict) or type(step) is not int or type(ts) not in _NUM or \
                    type(rt) not in _NUM:
                raise ValueError("malformed ROW record")
            state.apply(record)
            row = batch.nrows
            batch.steps.append(step)
            batch.ts.append(ts)
            batch.rt.append(rt)
            add = batch.add_value
            for key, v in data.items():
                t = type(v)
                if t is float or t is int:  # the common case, inlined
                    buf = batch.series.get(key)
                    if buf is None:
                        buf = batch.series[key] = _Series()
                    buf.idx.append(row)
                    buf.vals.append(v)
                    batch.points += 1
                else:
                    add(key, v, row, off, step, kinds, False)
        elif kind == Kind.SYSTEM:  # its own stream: sample number as step, keyed by wall time
            _, no, ts, rt, data = record
            if not isinstance(data, dict) or type(no) is not int or type(ts) not in _NUM or type(rt) not in _NUM:
                raise ValueError("malformed SYSTEM record")
            state.apply(record)
            row = batch.nrows
            batch.steps.append(no)
            batch.ts.append(ts)
            batch.rt.append(rt)
            for key, v in data.items():
                if type(v) is float or type(v) is int:
                    batch.add_value(key, v, row, off, no, kinds, False)
        elif kind == Kind.OUTPUT:
            state.apply(record)
            text = record[3]
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            # PostgreSQL text cannot hold NUL characters; a console may print them
            batch.output.append({"offset": off, "ts": float(record[1]), "stream": int(record[2]),
                                 "text": str(text).replace("\x00", "\ufffd")})
        elif kind == Kind.ARTIFACT:
            event = artifact_event_row(record, off)
            if event is not None:
                batch.artifacts.append(event)
        else:
            state.apply(record)

    def _write(self, conn: sa.Connection, run_pk: int, folder: Path, state: RunState,
               kinds: dict[str, list[str]], flags: dict[str, Any], batch: _Batch, offset: int,
               head: bytes = b"") -> None:
        shown = copy.copy(state)
        resolve_crash(shown, folder / LOG_NAME)
        summary = state.summary.current()
        conn.execute(sa.update(s.runs).where(s.runs.c.pk == run_pk).values(
            name=state.name or folder.name, state=shown.state, created_at=state.created_at,
            updated_at=time.time(), ended_at=state.ended_at, heartbeat_at=state.heartbeat_at,
            runtime=state.runtime, last_step=state.last_step, rows=state.rows,
            exit_code=state.exit_code, error=state.error, group_name=state.group,
            job_type=state.job_type, notes=state.notes, tags=dumps(state.tags),
            config=dumps(state.config), summary=dumps(summary), metadata=dumps(state.metadata),
            flags=dumps(_shown_flags(flags, state)), seq=_next_seq(conn),
        ))
        if state.entity:
            conn.execute(sa.update(s.projects).where(
                s.projects.c.pk == sa.select(s.runs.c.project_pk).where(s.runs.c.pk == run_pk)
                .scalar_subquery()).values(entity=state.entity))
        conn.execute(sa.delete(s.run_fields).where(s.run_fields.c.run_pk == run_pk))
        rows = field_rows(run_pk, state, summary)
        if rows:
            conn.execute(sa.insert(s.run_fields), rows)
        all_kinds = dict(state.key_kinds)
        all_kinds.update(kinds)
        conn.execute(sa.delete(s.run_keys).where(s.run_keys.c.run_pk == run_pk))
        if all_kinds:
            conn.execute(sa.insert(s.run_keys), [{"run_pk": run_pk, "key": k, "kinds": dumps(v)}
                                                for k, v in all_kinds.items()])
        if batch.series or batch.shapes or batch.blocks:
            self._write_series(conn, run_pk, batch)
        for table, items in ((s.hists, batch.hists), (s.media, batch.media), (s.output, batch.output),
                             (s.artifact_events, batch.artifacts)):
            if items:
                for item in items:
                    item["run_pk"] = run_pk
                conn.execute(sa.insert(table), items)
        blob = msgpack.packb({"state": state.to_dict(), "kinds": kinds, "flags": flags, "head": head},
                             default=_pack_default)
        updated = conn.execute(sa.update(s.cursors).where(s.cursors.c.run_pk == run_pk).values(
            offset=offset, state=blob, updated_at=time.time()))
        if updated.rowcount == 0:
            conn.execute(sa.insert(s.cursors).values(run_pk=run_pk, offset=offset, state=blob,
                                                     updated_at=time.time()))

    @staticmethod
    def _write_series(conn: sa.Connection, run_pk: int, batch: _Batch) -> None:
        existing = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(
            sa.select(s.series.c.key, s.series.c.pk, s.series.c.n, s.series.c.mono)
            .where(s.series.c.run_pk == run_pk))}
        parts: dict[str, list[tuple[Any, Any]]] = {}
        first: dict[str, tuple[int, int]] = {}  # (row, place in the row) of each key's first point
        for shape, (rows, vlists) in batch.shapes.items():
            idx = np.array(rows, dtype=np.int64)
            table = np.array(vlists, dtype=np.float64).reshape(len(rows), len(shape))
            for j, key in enumerate(shape):
                parts.setdefault(key, []).append((idx, table[:, j]))
                first[key] = min(first.get(key, (rows[0], j)), (rows[0], j))
        for shape, pieces in batch.blocks.items():
            for idx, table in pieces:
                for j, key in enumerate(shape):
                    parts.setdefault(key, []).append((idx, table[:, j]))
                    first[key] = min(first.get(key, (int(idx[0]), j)), (int(idx[0]), j))
        for j, (key, buf) in enumerate(batch.series.items()):
            parts.setdefault(key, []).append((np.array(buf.idx, dtype=np.int64),
                                              np.array(buf.vals, dtype=np.float64)))
            first[key] = min(first.get(key, (buf.idx[0], j)), (buf.idx[0], j))
        # new series in order of their first point in the log, whichever way rows were read
        fresh = sorted((k for k in parts if k not in existing), key=first.__getitem__)
        if fresh:
            conn.execute(sa.insert(s.series), [{"run_pk": run_pk, "key": k, "n": 0, "mono": ser.ALL_MONO}
                                               for k in fresh])
            existing = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(
                sa.select(s.series.c.key, s.series.c.pk, s.series.c.n, s.series.c.mono)
                .where(s.series.c.run_pk == run_pk))}
        steps, ts, rt = batch.row_arrays()
        all_rows = len(steps)
        items = []
        for key, pieces in parts.items():
            spk, n, mono = existing[key]
            if len(pieces) == 1:
                idx, values = pieces[0]
            else:  # a key in rows of several shapes: back into row order
                idx = np.concatenate([p[0] for p in pieces])
                values = np.concatenate([p[1] for p in pieces])
                if not bool((idx[1:] > idx[:-1]).all()):
                    order = np.argsort(idx, kind="stable")
                    idx, values = idx[order], values[order]
            if len(idx) == all_rows:
                pts = ser.Points(steps, ts, rt, values)
            else:
                pts = ser.Points(steps[idx], ts[idx], rt[idx], values)
            items.append((spk, n, mono, pts))
        ser.append_many(conn, items)

    def _check_liveness(self, folder: Path) -> RunReport | None:
        """A quiet running run: re-check now and then whether its process is still alive."""
        log_path = folder / LOG_NAME
        entry = self._running.get(log_path)
        if entry is None:
            return None
        run_pk, state, checked = entry
        if time.monotonic() - checked < LIVENESS_EVERY:
            return None
        shown = copy.copy(state)
        resolve_crash(shown, log_path)
        self._running[log_path] = (run_pk, state, time.monotonic())
        if shown.state == RUNNING:
            return None
        self._running.pop(log_path, None)
        with self.store.begin() as conn:
            conn.execute(sa.update(s.runs).where(s.runs.c.pk == run_pk).values(
                state=shown.state, updated_at=time.time(), seq=_next_seq(conn)))
        return RunReport(folder.parent.name, folder.name, run_pk, changed=True)


_FAST_MIN = 16  # frames worth decoding in bulk (a run of equal length, or a window of short runs)
# payloads of one length, one per row, and which frames of a window they are (None: all of them)
_Group = tuple[npt.NDArray[np.uint8], "npt.NDArray[np.int64] | None"]
_TEMPLATES_PER_LENGTH = 16


class _Pass:
    """Reading for one transaction: the records from the cursor on, applied to the run's state and
    to the batch, until the log ends, the batch is full or a record cannot be interpreted.

    Runs of equal-length frames whose payloads match a ``RowTemplate`` (rows of numbers of one
    layout) are decoded and applied in bulk; every other frame is decoded on its own. Both give
    the same state and the same points (``RunState.apply_number_rows`` is ``apply_row`` over many).
    """

    def __init__(self, state: RunState, batch: _Batch, kinds: dict[str, list[str]], flags: dict[str, Any]) -> None:
        self.state = state
        self.batch = batch
        self.kinds = kinds
        self.flags = flags
        self.templates: dict[int, list[RowTemplate]] = {}

    def run(self, frames: Iterator[FrameRuns]) -> tuple[int, bool] | None:
        """Return ``(offset, more)`` where reading stopped early, None at the end of the log."""
        for blk in frames:
            data, base = blk.data, blk.base
            arr = blk.array()
            # frames of short runs, gathered into one window (grouped by length there)
            starts: list[int] = []
            lengths: list[int] = []
            for pos, length, count in blk.runs:
                if count < _FAST_MIN:
                    stride = length + HEADER_SIZE
                    for p in range(pos, pos + count * stride, stride):
                        starts.append(p)
                        lengths.append(length)
                    continue
                stop = self.window(data, base, arr, starts, lengths)
                starts, lengths = [], []
                if stop is None:
                    stop = self.window_run(data, base, arr, pos, length, count)
                if stop is not None:
                    return stop
            stop = self.window(data, base, arr, starts, lengths)
            if stop is not None:
                return stop
        return None

    def one(self, off: int, payload: bytes) -> tuple[int, bool] | None:
        """Decode and apply one record."""
        batch = self.batch
        if batch.points >= BATCH_POINTS or batch.records >= BATCH_RECORDS:
            return off, True
        try:
            record = msgpack.unpackb(payload, raw=False, strict_map_key=False)
            # The hot path, inlined: a row of numbers under keys that only held numbers.
            if type(record) is list and len(record) == 5 and record[0] == _ROW:
                _, step, ts, rt, data = record
                if type(data) is dict and type(step) is int and type(ts) in _NUM and \
                        type(rt) in _NUM and _NUM.issuperset(set(map(type, data.values()))) \
                        and self.state.numeric_keys.issuperset(data):
                    self.state.apply_row(step, ts, rt, data, True)
                    shape = tuple(data)
                    rows = batch.shapes.get(shape)
                    if rows is None:
                        rows = batch.shapes[shape] = ([], [])
                    rows[0].append(batch.nrows)
                    rows[1].append(list(data.values()))
                    batch.steps.append(step)
                    batch.ts.append(ts)
                    batch.rt.append(rt)
                    batch.points += len(shape)
                    batch.records += 1
                    return None
            if type(record) is not list or not record:
                raise ValueError("run log record is not a non-empty array")
            if record[0] == _ROWS:
                self.rows_block(decode_rows(record), off)
                return None
            Ingestor._apply(self.state, record, off, batch, self.kinds)
        except Exception as exc:  # a record we cannot interpret: damage from here on
            self.flags["corrupt"] = {"offset": off, "error": f"{type(exc).__name__}: {exc}"}
            return off, False
        batch.records += 1
        return None

    def classify(self, payloads: npt.NDArray[np.uint8], length: int) -> tuple[npt.NDArray[np.int64], list[RowTemplate]]:
        """Which template each payload matches (an index into the returned list; -1: none)."""
        tid = np.full(len(payloads), -1, np.int64)
        used: list[RowTemplate] = []
        known = self.templates.setdefault(length, [])
        for t in known:
            m = t.match(payloads)
            m &= tid < 0
            if m.any():
                tid[m] = len(used)
                used.append(t)
        skip = 0
        for _ in range(4):  # learn the layouts of payloads no known template matched
            rest = np.flatnonzero(tid < 0)
            if len(rest) <= skip:
                break
            t_new = template_of(payloads[rest[skip]].tobytes())
            if t_new is None:
                skip += 1
                continue
            if len(known) < _TEMPLATES_PER_LENGTH:
                known.append(t_new)
            m = t_new.match(payloads)
            m &= tid < 0
            tid[m] = len(used)
            used.append(t_new)
        return tid, used

    def window_run(self, data: bytes, base: int, arr: npt.NDArray[np.uint8], pos: int, length: int,
                   count: int) -> tuple[int, bool] | None:
        """A run of ``count`` equal-length frames: its payloads are one strided view."""
        stride = length + HEADER_SIZE
        payloads = arr[pos : pos + count * stride].reshape(count, stride)[:, HEADER_SIZE:]
        starts = np.arange(pos, pos + count * stride, stride, dtype=np.int64)
        return self.decode_window(data, base, starts, np.full(count, length, np.int64), [(payloads, None)])

    def window(self, data: bytes, base: int, arr: npt.NDArray[np.uint8], starts: list[int],
               lengths: list[int]) -> tuple[int, bool] | None:
        """Frames of mixed lengths: payloads of each length gathered into a block of their own."""
        if len(starts) < _FAST_MIN:
            for p, length in zip(starts, lengths, strict=True):
                stop = self.one(base + p, data[p + HEADER_SIZE : p + HEADER_SIZE + length])
                if stop is not None:
                    return stop
            return None
        st = np.array(starts, np.int64)
        ln = np.array(lengths, np.int64)
        uniq, inv = np.unique(ln, return_inverse=True)
        groups: list[_Group] = []
        for g, length in enumerate(uniq.tolist()):
            idx = np.flatnonzero(inv == g)
            if len(idx) >= 4:
                groups.append((arr[st[idx][:, None] + np.arange(HEADER_SIZE, HEADER_SIZE + length)], idx))
        return self.decode_window(data, base, st, ln, groups)

    def decode_window(self, data: bytes, base: int, starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64],
                      groups: list[_Group]) -> tuple[int, bool] | None:
        """Apply the frames at ``starts`` (in log order): those matching a template in bulk, the others
        one by one. ``groups``: payload blocks of equal length and which frames they hold (None: all)."""
        count = len(starts)
        tid = np.full(count, -1, np.int64)
        used: list[RowTemplate] = []
        rows: list[npt.NDArray[np.int64]] = []
        cols: list[tuple[npt.NDArray[np.int64], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.float64]]] = []
        for payloads, idx in groups:
            local, found = self.classify(payloads, int(payloads.shape[1]))
            for k, t in enumerate(found):
                sel = np.flatnonzero(local == k)
                r = sel if idx is None else idx[sel]
                tid[r] = len(used)
                used.append(t)
                rows.append(r)
                cols.append(t.columns(payloads if len(sel) == len(payloads) else payloads[sel]))
        starts_l = starts.tolist()
        lengths_l = lengths.tolist()

        def one(i: int) -> tuple[int, bool] | None:
            p = starts_l[i]
            return self.one(base + p, data[p + HEADER_SIZE : p + HEADER_SIZE + lengths_l[i]])

        if not used:
            for i in range(count):
                stop = one(i)
                if stop is not None:
                    return stop
            return None
        npts = np.array([len(t.keys) for t in used], np.int64)
        unmatched = np.flatnonzero(tid < 0)
        block = _Block(used, rows, cols)
        i = 0
        while i < count:
            if tid[i] < 0:
                stop = one(i)
                if stop is not None:
                    return stop
                i += 1
                continue
            u = int(np.searchsorted(unmatched, i))
            j = int(unmatched[u]) if u < len(unmatched) else count
            # the batch limits, as ``one`` checks them before each record
            pts = npts[tid[i:j]]
            before = self.batch.points + np.cumsum(pts) - pts
            end = i + min(j - i, max(0, BATCH_RECORDS - self.batch.records),
                          int(np.searchsorted(before, BATCH_POINTS, side="left")))
            a = i
            while a < end:
                present = block.present(a, end)
                firsts = [int(rows[k][lo]) for k, lo, _ in present if not self.state.numbers_ready(used[k].keys)]
                b = min(firsts) if firsts else end
                if b > a:
                    self.bulk(block, a, b)
                if b < end:  # the first row of a layout with a new key: on its own, as before
                    stop = one(b)
                    if stop is not None:
                        return stop
                    b += 1
                a = b
            if end < j:
                return base + starts_l[end], True
            i = j
        return None

    def rows_block(self, block: RowsBlock, off: int) -> None:
        """Apply a ROWS record (rows of floats, already columnar): its first row on its own when
        its keys are new (as ``one`` does for a ROW), the rest in bulk."""
        n = len(block.steps)
        first = 0
        if n and not self.state.numbers_ready(block.keys):
            step, ts, rt, data = block.row(0)
            Ingestor._apply(self.state, [Kind.ROW, step, ts, rt, data], off, self.batch, self.kinds)
            self.batch.records += 1
            first = 1
        if n <= first:
            return
        values = block.values[first:]
        index = {key: j for j, key in enumerate(block.keys)}
        self.state.apply_number_rows(n - first, int(block.steps[-1]), float(block.ts[-1]), float(block.rt[-1]),
                                     dict(zip(block.keys, values[-1].tolist(), strict=True)),
                                     lambda key: (values[:, index[key]], None))
        batch = self.batch
        base_row = batch.nrows
        batch.add_rows(block.steps[first:], block.ts[first:], block.rt[first:])
        batch.blocks.setdefault(tuple(block.keys), []).append((np.arange(base_row, base_row + n - first), values))
        batch.points += len(block.keys) * (n - first)
        batch.records += n - first

    def bulk(self, block: _Block, a: int, b: int) -> None:
        """Apply rows ``a .. b-1`` of a run, all matched and ready (``RunState.numbers_ready``)."""
        present = block.present(a, b)
        n = b - a
        used, rows, cols = block.used, block.rows, block.cols
        if len(present) == 1:
            k, lo, hi = present[0]
            steps = cols[k][0][lo:hi]
            ts = cols[k][1][lo:hi].astype(np.float64, copy=False)
            rt = cols[k][2][lo:hi].astype(np.float64, copy=False)
        else:
            steps = np.empty(n, np.int64)
            ts = np.empty(n, np.float64)
            rt = np.empty(n, np.float64)
            for k, lo, hi in present:
                r = rows[k][lo:hi] - a
                steps[r] = cols[k][0][lo:hi]
                ts[r] = cols[k][1][lo:hi]
                rt[r] = cols[k][2][lo:hi]
        by_last = sorted(present, key=lambda p: int(rows[p[0]][p[2] - 1]))
        k, _, hi = by_last[-1]
        t = used[k]
        last_step = int(cols[k][0][hi - 1])
        last_ts = py_value(cols[k][1][hi - 1], t.ts.is_int)
        last_rt = py_value(cols[k][2][hi - 1], t.rt.is_int)
        by_first = sorted(present, key=lambda p: int(rows[p[0]][p[1]]))
        last_values: dict[str, Any] = dict.fromkeys(key for k, _, _ in by_first for key in used[k].keys)
        for k, _, hi in by_last:
            vals = cols[k][3][hi - 1].tolist()
            for key, f, v in zip(used[k].keys, used[k].values, vals, strict=True):
                last_values[key] = int(v) if f.is_int else v

        def column(key: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None]:
            pieces = [(rows[k][lo:hi], cols[k][3][lo:hi, j], used[k].values[j].is_int)
                      for k, lo, hi in present for j, name in enumerate(used[k].keys) if name == key]
            idx = np.concatenate([p[0] for p in pieces])
            values = np.concatenate([p[1] for p in pieces])
            ints = np.concatenate([np.full(len(p[0]), p[2]) for p in pieces])
            order = np.argsort(idx, kind="stable")
            return values[order], (ints[order] if ints.any() else None)

        self.state.apply_number_rows(n, last_step, last_ts, last_rt, last_values, column)
        batch = self.batch
        base_row = batch.nrows
        batch.add_rows(steps, ts, rt)
        for k, lo, hi in present:
            batch.blocks.setdefault(used[k].keys, []).append((rows[k][lo:hi] - a + base_row, cols[k][3][lo:hi]))
            batch.points += len(used[k].keys) * (hi - lo)
        batch.records += n


@dataclass
class _Block:
    """The frames of one run that matched templates: per template, their row numbers in the run and
    their columns (steps, times, runtimes, values)."""

    used: list[RowTemplate]
    rows: list[npt.NDArray[np.int64]]
    cols: list[tuple[npt.NDArray[np.int64], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.float64]]]

    def present(self, a: int, b: int) -> list[tuple[int, int, int]]:
        """``(template, lo, hi)``: the templates with rows in ``a .. b-1``, as slices of their rows."""
        out = []
        for k, r in enumerate(self.rows):
            lo, hi = int(np.searchsorted(r, a)), int(np.searchsorted(r, b))
            if hi > lo:
                out.append((k, lo, hi))
        return out


def _log_head(path: Path) -> bytes:
    """The header and first frame header of a log: its identity (the START record's length and
    checksum), to notice a log replaced by another one."""
    try:
        with open(path, "rb") as f:
            return f.read(16)
    except OSError:
        return b""


def saved_flags(blob: bytes | None) -> dict[str, Any]:
    if blob is None:
        return {}
    flags: dict[str, Any] = msgpack.unpackb(blob, raw=False, strict_map_key=False).get("flags", {})
    return flags


def _pack_default(obj: Any) -> Any:
    if isinstance(obj, (tuple, set)):
        return list(obj)
    item = getattr(obj, "item", None)
    if item is not None:
        return item()
    raise TypeError(f"cannot store {type(obj).__name__} in an ingest cursor")


def _insert_pk(conn: sa.Connection, stmt: sa.Insert) -> int:
    key = conn.execute(stmt).inserted_primary_key
    assert key is not None
    return int(key[0])


def _next_seq(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(s.runs.c.seq), 0) + 1)).scalar_one())


def _delete_run_data(conn: sa.Connection, run_pk: int, keep_run: bool) -> None:
    spks = sa.select(s.series.c.pk).where(s.series.c.run_pk == run_pk).scalar_subquery()
    conn.execute(sa.delete(s.chunks).where(s.chunks.c.series_pk.in_(spks)))
    conn.execute(sa.delete(s.tiers).where(s.tiers.c.series_pk.in_(spks)))
    conn.execute(sa.delete(s.series).where(s.series.c.run_pk == run_pk))
    for table in s.RUN_TABLES:
        conn.execute(sa.delete(table).where(table.c.run_pk == run_pk))
    if not keep_run:
        conn.execute(sa.delete(s.runs).where(s.runs.c.pk == run_pk))


def reindex(root: str | os.PathLike[str], store: Store) -> list[RunReport]:
    """Rebuild the index from the run logs under ``root`` alone (what ``runyard reindex`` runs)."""
    store.clear()
    reports = []
    ingestor = Ingestor(root, store)
    for folder in ingestor.run_folders():
        report = ingestor.ingest_run(folder)
        if report is not None:
            reports.append(report)
    store.checkpoint()
    return reports
