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
import functools
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
import sqlalchemy as sa

from ..log.append import classify_tail
from ..log.framing import LogFormatError, ScanResult, read_frame_runs
from ..log.reader import LOG_NAME, resolve_crash
from ..log.rowblock import RowTemplate
from ..log.state import RUNNING, RunState
from . import derived
from . import schema as s
from . import series as ser
from .db import Store, insert_rows
from .failures import record_failure
from .field_rows import OTHER, SUMMARY, SUMMARY_PREFIX, FieldRows
from .ingest_pass import _Batch, _Pass
from .jsonutil import dumps

log = logging.getLogger("runyard.store")

BATCH_POINTS = 2_000_000  # values per transaction (bounds memory and the work a kill can lose)
BATCH_RECORDS = 500_000
LIVENESS_EVERY = 2.0  # seconds between liveness checks of quiet running runs
PRUNE_EVERY = 5.0  # seconds between checks for run folders that were deleted
GROUP_RUNS = 100  # most runs ingest_all indexes in one transaction


@dataclass
class RunReport:
    project: str
    run_id: str
    run_pk: int
    records: int = 0
    points: int = 0
    changed: bool = False
    flags: dict[str, Any] = field(default_factory=dict)


def _shown_flags(flags: dict[str, Any], state: RunState) -> dict[str, Any]:
    """The run's flags as the runs table shows them: ingest problems, and its alerts (count, worst
    level, last title) so the table can mark runs that raised one."""
    if not state.alerts:
        return flags
    levels = [a.get("level") for a in state.alerts]
    worst = next((lv for lv in ("ERROR", "WARN", "INFO") if lv in levels), "INFO")
    return {**flags, "alerts": {"count": len(state.alerts), "level": worst, "last": state.alerts[-1].get("title")}}


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
        self._templates: dict[int, list[RowTemplate]] = {}  # row layouts learnt, shared by the runs (_Pass)
        self.project_pks: dict[str, int] | None = None  # a cache of project pks, for one transaction only
        self.prefetched: Prefetched | None = None  # what one transaction read for many runs at once

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
        changed: list[RunReport] = []
        folders = list(self.run_folders())
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY:
            self.prune(folders)
        with self._lock:
            todo: list[tuple[Path, os.stat_result]] = []
            for folder in folders:
                try:
                    st = (folder / LOG_NAME).stat()
                except OSError:
                    continue
                if self._seen.get(folder / LOG_NAME) == (st.st_size, st.st_mtime):
                    self._one(folder, changed)  # unchanged: only its liveness, now and then
                else:
                    todo.append((folder, st))
            i = 0
            while i < len(todo):
                i = self._ingest_group(todo, i, changed)
        return changed

    def _one(self, folder: Path, changed: list[RunReport]) -> None:
        """Ingest one run in transactions of its own; a failure is recorded and the pass goes on."""
        try:
            report = self.ingest_run(folder)
        except Exception as exc:  # noqa: BLE001 - one bad run must not stop the others
            self._failure(folder, exc)
            return
        if report is not None and report.changed:
            changed.append(report)

    def _failure(self, folder: Path, exc: Exception) -> None:
        key = (str(folder), type(exc).__name__)
        if key not in self._failed:
            self._failed.add(key)
            record_failure(self.store, self.root, folder, exc)  # listed, with the reason
            log.error("ingest of %s failed (%s: %s); the other runs go on, it is retried on "
                      "every pass", folder, type(exc).__name__, exc)

    def _ingest_group(self, todo: list[tuple[Path, os.stat_result]], i: int, changed: list[RunReport]) -> int:
        """Ingest runs ``todo[i:]`` in one transaction, until it holds ``BATCH_POINTS`` points or
        ``GROUP_RUNS`` runs; return where it stopped. Each run is one savepoint, so a run that fails
        is rolled back alone (and recorded after the commit); a run with more records than one batch
        goes on in transactions of its own. Many short runs so share one commit and its writes of
        the pages every run touches (the runs table and its indexes): per-run fixed costs shrink."""
        done: list[tuple[Path, os.stat_result, RunReport, RunState]] = []
        failed: list[tuple[Path, Exception]] = []
        start, points = i, 0
        try:
            with self.store.begin() as conn:
                while i < len(todo) and points < BATCH_POINTS and i - start < GROUP_RUNS:
                    folder, st = todo[i]
                    i += 1
                    savepoint = conn.begin_nested()
                    try:
                        report, state = self._ingest_in(conn, folder, st.st_size)
                    except Exception as exc:  # noqa: BLE001 - one bad run must not stop the others
                        savepoint.rollback()
                        failed.append((folder, exc))
                        continue
                    savepoint.commit()
                    points += report.points
                    done.append((folder, st, report, state))
        except Exception:  # noqa: BLE001 - the commit failed: each run again on its own
            for folder, _ in todo[start:i]:
                self._one(folder, changed)
            return i
        for folder, error in failed:
            self._failure(folder, error)
        for folder, st, report, state in done:
            log_path = folder / LOG_NAME
            self._note_running(log_path, report.run_pk, state)
            if report.flags.pop("_more", None):  # the rest of a long run, a batch at a time
                try:
                    rest = self.ingest_run(folder)
                except Exception as exc:  # noqa: BLE001 - one bad run must not stop the others
                    self._failure(folder, exc)
                    rest = None
                if rest is not None:
                    report.records += rest.records
                    report.points += rest.points
                    report.changed |= rest.changed
                    report.flags = rest.flags
            else:
                self._seen[log_path] = (st.st_size, st.st_mtime)
            if report.changed:
                changed.append(report)
        return i

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
                        delete_run_data(conn, pk, keep_run=False)
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
        with self.store.begin() as conn:
            report, state = self._ingest_in(conn, folder, size)
        self._note_running(folder / LOG_NAME, report.run_pk, state)
        return report

    def _note_running(self, log_path: Path, run_pk: int, state: RunState) -> None:
        if state.state == RUNNING:
            self._running[log_path] = (run_pk, state, time.monotonic())
        else:
            self._running.pop(log_path, None)

    def _ingest_in(self, conn: sa.Connection, folder: Path, size: int) -> tuple[RunReport, RunState]:
        """One batch of a run's records, in the caller's transaction."""
        project, run_id = folder.parent.name, folder.name
        log_path = folder / LOG_NAME
        if len(self._templates) > 1024:  # payload lengths seen: keep the cache small
            self._templates.clear()
        run_pk, offset, blob, fresh = self._open_cursor(conn, project, run_id, folder, seq=0)
        report = RunReport(project, run_id, run_pk)
        head = _log_head(log_path)
        saved = msgpack.unpackb(blob, raw=False, strict_map_key=False) if blob is not None else None
        old_head = bytes(saved.get("head", b"")) if saved is not None else b""
        n = min(len(old_head), len(head))
        if offset > size or old_head[:n] != head[:n]:
            # The log was replaced (a shorter one, or another run's under the same folder name):
            # what was indexed from the old one no longer holds; start this run over.
            delete_run_data(conn, run_pk, keep_run=True)
            offset, blob, saved = 0, None, None
            fresh = True
        if saved is not None:
            state = RunState.from_dict(saved["state"])
            kinds: dict[str, list[str]] = saved["kinds"]
            flags: dict[str, Any] = saved.get("flags", {})
        else:
            state, kinds, flags = RunState(), {}, {}
        keys_before = key_kinds(state, kinds) if saved is not None else None
        metrics_before = derived.metric_defs(state) if saved is not None else None
        batch = _Batch()
        scan = ScanResult(offset, 0)
        next_offset = offset
        more = False
        try:
            frames = read_frame_runs(log_path, offset, scan)
            stopped = _Pass(state, batch, kinds, flags, BATCH_POINTS, BATCH_RECORDS, self._templates).run(frames)
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
            self._write(conn, run_pk, folder, state, kinds, flags, batch, next_offset, head, keys_before, fresh,
                        metrics_before=metrics_before, fields_before=saved.get("fields") if saved else None)
        report.flags = dict(flags)
        if more:
            report.flags["_more"] = True
        return report, state

    def _cursor(self, conn: sa.Connection, project: str, run_id: str,
                folder: Path) -> tuple[int, int, bytes | None]:
        """The run's primary key (a runs row is made for a new run), its log offset and saved state."""
        run_pk, offset, blob, _ = self._open_cursor(conn, project, run_id, folder)
        return run_pk, offset, blob

    def _open_cursor(self, conn: sa.Connection, project: str, run_id: str, folder: Path,
                     seq: int | None = None) -> tuple[int, int, bytes | None, bool]:
        """``_cursor``, and whether the run holds no indexed data (no cursor row). ``seq``: the seq
        of a new runs row, when the caller's ``_write`` will set the real one (one query less)."""
        if self.prefetched is not None and (project, run_id) in self.prefetched.cursors:
            known = self.prefetched.cursors.pop((project, run_id))
            return known[0], known[1], known[2], known[2] is None
        q = _queries()
        ppk: int | None = self.project_pks.get(project) if self.project_pks is not None else None
        if ppk is None:
            ppk = conn.execute(q.project_pk, {"p_name": project}).scalar()
            if ppk is not None and self.project_pks is not None:
                self.project_pks[project] = int(ppk)
        if ppk is None:
            ppk = _insert_pk(conn, sa.insert(s.projects).values(entity="local", name=project,
                                                                created_at=time.time()))
        # FOR UPDATE (PostgreSQL; SQLite has one writer anyway): server processes that follow the
        # same logs take turns on a run, and each continues from the cursor the other left.
        rpk = conn.execute(q.run_pk, {"p_pk": ppk, "p_run": run_id}).scalar()
        if rpk is None:
            rel = str(folder.relative_to(self.root)) if folder.is_relative_to(self.root) else str(folder)
            key = conn.execute(q.insert_run, dict(
                project_pk=ppk, run_id=run_id, path=rel, name=run_id, state=RUNNING, created_at=0.0,
                updated_at=time.time(), runtime=0.0, last_step=-1, rows=0, tags="[]", config="{}",
                summary="{}", metadata="{}", flags="{}", seq=_next_seq(conn) if seq is None else seq,
            )).inserted_primary_key
            assert key is not None
            return int(key[0]), 0, None, True
        row = conn.execute(q.cursor, {"p_pk": rpk}).first()
        if row is None:
            return int(rpk), 0, None, True
        return int(rpk), int(row[0]), bytes(row[1]), False

    def _write(self, conn: sa.Connection, run_pk: int, folder: Path, state: RunState,
               kinds: dict[str, list[str]], flags: dict[str, Any], batch: _Batch, offset: int,
               head: bytes = b"", keys_before: dict[str, list[str]] | None = None, fresh: bool = False,
               defer: Deferred | None = None, cursor_exists: bool = False,
               metrics_before: dict[str, str | None] | None = None, fields_before: Any = None) -> list[bytes]:
        """Write what a pass derived. ``keys_before``: the run's key kinds before the pass, when
        known; unchanged, the ``run_keys`` rows are left as they are (and ``metrics_before``, its
        ``define_metric`` declarations, the ``run_metrics`` rows; and ``fields_before``, the digests
        of its ``run_fields`` rows saved with the cursor, the parts of those rows). ``fresh``: the
        run has no indexed rows yet (nothing to delete or read back first). ``defer``: the writes to
        the runs, fields, keys and cursors tables (and the counts of ``project_keys``) are collected
        there (for many runs at once) instead of executed; ``cursor_exists`` then says whether the
        run's cursor row is there to update. Returns the digests of the fields now written."""
        shown = copy.copy(state)
        resolve_crash(shown, folder / LOG_NAME)
        summary = state.summary.current()
        q = _queries()
        execute: Any = conn.execute if defer is None else defer.execute
        copy_rows: Any = (lambda table, rows: insert_rows(conn, table, rows)) if defer is None else defer.copy
        values = dict(
            name=state.name or folder.name, state=shown.state, created_at=state.created_at,
            updated_at=time.time(), ended_at=state.ended_at, heartbeat_at=state.heartbeat_at,
            runtime=state.runtime, last_step=state.last_step, rows=state.rows,
            exit_code=state.exit_code, error=state.error, group_name=state.group,
            job_type=state.job_type, notes=state.notes, user_name=state.user or None, tags=dumps(state.tags),
            config=dumps(state.config), summary=dumps(summary), metadata=dumps(state.metadata),
            flags=dumps(_shown_flags(flags, state)), seq=_next_seq(conn) if defer is None else defer.seq(conn),
        )
        execute(q.run_update, {"p_pk": run_pk, **{f"v_{k}": v for k, v in values.items()}})
        if state.entity:
            execute(q.project_entity, {"p_pk": run_pk, "v_entity": state.entity})
        fields = FieldRows.of(run_pk, state, summary)
        parts = fields.changed(fields_before)
        if not fresh and parts:
            execute(q.delete_fields[tuple(parts)], {"p_pk": run_pk})
        copy_rows(s.run_fields, [row for i in parts for row in fields.parts[i]])
        all_kinds = key_kinds(state, kinds)
        if all_kinds != keys_before:
            texts: dict[tuple[str, ...], str] = {}  # most keys share their kinds: encode each list once

            def text(v: list[str]) -> str:
                return texts.get(tuple(v)) or texts.setdefault(tuple(v), dumps(v))

            pairs = [(k, text(v)) for k, v in all_kinds.items()]
            if fresh:
                before: Any = ()
            elif keys_before is not None:
                before = [(k, text(v)) for k, v in keys_before.items()]
            else:
                before = derived.run_key_pairs(conn, run_pk)
            if not fresh:
                execute(q.delete_keys, {"p_pk": run_pk})
            copy_rows(s.run_keys, [{"run_pk": run_pk, "key": k, "kinds": kn} for k, kn in pairs])
            derived.count_keys(conn, run_pk, before, pairs, None if defer is None else defer.key_counts)
        derived.write_metrics(conn, run_pk, derived.metric_defs(state), metrics_before, fresh)
        if batch.series or batch.shapes or batch.blocks:
            known = self.prefetched.series.pop(run_pk, None) if self.prefetched is not None else None
            self._write_series(conn, run_pk, batch, new_run=fresh, ended=state.state != RUNNING, known=known,
                               defer=defer)
        for table, items in ((s.hists, batch.hists), (s.media, batch.media), (s.output, batch.output),
                             (s.artifact_events, batch.artifacts)):
            if items:
                for item in items:
                    item["run_pk"] = run_pk
                conn.execute(q.insert[table.name], items)
        blob = msgpack.packb({"state": state.to_dict(), "kinds": kinds, "flags": flags, "head": head,
                              "fields": fields.digests}, default=_pack_default)
        if defer is not None:
            if cursor_exists:
                defer.execute(q.cursor_update, {"p_pk": run_pk, "v_offset": offset, "v_state": blob,
                                                "v_updated_at": time.time()})
            else:
                defer.execute(q.insert_cursor, dict(run_pk=run_pk, offset=offset, state=blob, updated_at=time.time()))
            return fields.digests
        if fresh or not conn.execute(q.cursor_update, {"p_pk": run_pk, "v_offset": offset, "v_state": blob,
                                                       "v_updated_at": time.time()}).rowcount:
            conn.execute(q.insert_cursor, dict(run_pk=run_pk, offset=offset, state=blob, updated_at=time.time()))
        return fields.digests

    @staticmethod
    def _write_series(conn: sa.Connection, run_pk: int, batch: _Batch, new_run: bool = False,
                      ended: bool = False, known: dict[str, tuple[int, int, int, int]] | None = None,
                      defer: Deferred | None = None) -> None:
        """``known``: the run's series as ``run_series`` reads them, read already."""
        existing = {} if new_run else known if known is not None else run_series(conn, run_pk)
        points, first = _key_points(batch)
        # new series in order of their first point in the log, whichever way rows were read
        fresh = sorted((k for k in points if k not in existing), key=first.__getitem__)
        if fresh:
            insert_rows(conn, s.series, [{"run_pk": run_pk, "key": k, "n": 0, "mono": ser.ALL_MONO} for k in fresh])
            if new_run:  # every series is new: empty, no tail
                existing = {r[0]: (int(r[1]), 0, ser.ALL_MONO, 0) for r in conn.execute(
                    _queries().series_pks, {"p_pk": run_pk}).all()}
            else:
                existing = run_series(conn, run_pk)
        items = []
        for key, pts in points.items():
            spk, n, mono, held = existing[key]
            items.append((spk, n, mono, held, pts))
        ser.append_live(conn, items, seal=ended, defer=defer)  # a run that has ended gets no more points: no tail

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


def _key_points(batch: _Batch) -> tuple[dict[str, ser.Points], dict[str, tuple[int, int]]]:
    """The points of each key in a batch, in row order, and where each key's first point is (row,
    place in the row). A batch holds its numbers in pieces: (row numbers, rows x keys matrix) of
    rows sharing their keys (bulk blocks and rows decoded one at a time), and single numbers. Keys
    found in the same pieces are put in row order together, and share their step, time and
    runtime arrays: many keys cost a few numpy operations, not a few for each key."""
    pieces: list[tuple[Any, Any]] = []  # (row numbers, rows x keys matrix)
    member: dict[str, list[tuple[int, int, int]]] = {}  # key -> (piece, column, place for ``first``)
    for shape, (rows, vlists) in batch.shapes.items():
        pieces.append((np.array(rows, dtype=np.int64),
                       np.array(vlists, dtype=np.float64).reshape(len(rows), len(shape))))
        for j, key in enumerate(shape):
            member.setdefault(key, []).append((len(pieces) - 1, j, j))
    for shape, blocks in batch.blocks.items():
        for idx, table in blocks:
            pieces.append((idx, table))
            for j, key in enumerate(shape):
                member.setdefault(key, []).append((len(pieces) - 1, j, j))
    by_rows: dict[tuple[int, ...], list[tuple[int, str]]] = {}  # single numbers, keyed by their rows
    for j, (key, buf) in enumerate(batch.series.items()):
        by_rows.setdefault(tuple(buf.idx), []).append((j, key))
    for rows_t, numbered in by_rows.items():
        pieces.append((np.array(rows_t, dtype=np.int64), np.array(
            [batch.series[k].vals for _, k in numbered], dtype=np.float64).T.reshape(len(rows_t), -1)))
        for col, (j, key) in enumerate(numbered):
            member.setdefault(key, []).append((len(pieces) - 1, col, j))
    steps, ts, rt = batch.row_arrays()
    first: dict[str, tuple[int, int]] = {}
    same: dict[tuple[int, ...], list[str]] = {}  # keys found in the same pieces
    sigs: dict[str, tuple[int, ...]] = {}
    starts = [int(piece[0][0]) for piece in pieces]
    for key, where in member.items():
        if len(where) == 1:
            p, _, j = where[0]
            first[key] = (starts[p], j)
            sig: tuple[int, ...] = (p,)
        else:
            first[key] = min((starts[p], j) for p, _, j in where)
            sig = tuple(p for p, _, _ in where)
        sigs[key] = sig
        same.setdefault(sig, []).append(key)
    values: dict[str, Any] = {}
    axes: dict[tuple[int, ...], tuple[Any, Any, Any]] = {}
    for sig, keys in same.items():
        if len(sig) == 1:
            idx, table = pieces[sig[0]]
            for key in keys:
                values[key] = table[:, member[key][0][1]]
        else:  # keys in rows of several shapes: back into row order, all of them at once
            cols = {key: [c for _, c, _ in member[key]] for key in keys}
            idx = np.concatenate([pieces[p][0] for p in sig])
            matrix = np.concatenate([pieces[p][1][:, [cols[key][i] for key in keys]] for i, p in enumerate(sig)])
            if not bool((idx[1:] > idx[:-1]).all()):
                order = np.argsort(idx, kind="stable")
                idx, matrix = idx[order], matrix[order]
            for i, key in enumerate(keys):
                values[key] = matrix[:, i]
        axes[sig] = (steps, ts, rt) if len(idx) == len(steps) else (steps[idx], ts[idx], rt[idx])
    points = {}
    for key, sig in sigs.items():
        points[key] = ser.Points(*axes[sig], values[key])
    return points, first


def run_series(conn: sa.Connection, run_pk: int) -> dict[str, tuple[int, int, int, int]]:
    """A run's series: key -> (pk, n, mono, points in the tail). The rows are fetched at once: row
    by row, the driver's fetchone cost more than the rest of the loop."""
    return {r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4]))
            for r in conn.execute(_queries().series, {"p_pk": run_pk}).all()}


def series_of_runs(conn: sa.Connection, run_pks: list[int]) -> dict[int, dict[str, tuple[int, int, int, int]]]:
    """``run_series`` of several runs at once, by run pk (runs with no series are left out)."""
    out: dict[int, dict[str, tuple[int, int, int, int]]] = {}
    for run_pk, key, spk, n, mono, tail in conn.execute(_queries().series_of_runs, {"p_pks": run_pks}).all():
        out.setdefault(int(run_pk), {})[key] = (int(spk), int(n), int(mono), int(tail))
    return out


def key_kinds(state: RunState, kinds: dict[str, list[str]]) -> dict[str, list[str]]:
    """The kinds of every key of a run's history (a copy: a pass appends to the lists)."""
    out = {k: list(v) for k, v in state.key_kinds.items()}
    out.update((k, list(v)) for k, v in kinds.items())
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


class Deferred:
    """Writes of many runs' batches, collected in one transaction and sent together at its end
    (``flush``): each statement once with all its parameter sets (psycopg pipelines an
    executemany), each table's new rows in one COPY. Reads are not deferred: a caller defers only
    writes that no later read of the same transaction looks at (each run appears once), and
    ``flush`` keeps one order of tables (``ORDER``) so a run's delete of its old rows comes before
    the insert of its new ones."""

    def __init__(self) -> None:
        self.ops: dict[Any, list[dict[str, Any]]] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.bumps: dict[int, list[int]] = {}  # points added -> series pks (series.append_live)
        # changes of project_keys' counts, applied together in one order (derived.count_keys)
        self.key_counts = derived.KeyCounts()
        self._seq: int | None = None
        self.order = _deferred_order()

    def execute(self, stmt: Any, params: dict[str, Any]) -> None:
        if not any(stmt is op for op in self.order):
            raise ValueError(f"not a deferrable statement: {stmt}")
        self.ops.setdefault(stmt, []).append(params)

    def copy(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.rows.setdefault(table.name, []).extend(rows)

    def seq(self, conn: sa.Connection) -> int:
        """The next ``seq`` for a run of this transaction (one read for all of them)."""
        self._seq = _next_seq(conn) if self._seq is None else self._seq + 1
        return self._seq

    def bump(self, k: int, series_pk: int) -> None:
        self.bumps.setdefault(k, []).append(series_pk)

    def flush(self, conn: sa.Connection) -> None:
        """Send what was collected (at any point: later reads then see it)."""
        if self.bumps:
            ser.bump_counts(conn, self.bumps)
            self.bumps = {}
        for op in self.order:
            if isinstance(op, sa.Table):
                rows = self.rows.pop(op.name, None)
                if rows:
                    insert_rows(conn, op, rows)
            else:
                params = self.ops.pop(op, None)
                if params:
                    conn.execute(op, params)
        assert not self.ops and not self.rows, "a deferred write has no place in Deferred's order"
        self.key_counts.apply(conn)


def defer_after(*ops: Any) -> None:
    """Add statements (or tables, for COPY) to the end of ``Deferred``'s order (a caller's own
    writes, such as the team server's log segments)."""
    order = _deferred_order()
    order.extend(op for op in ops if not any(op is o for o in order))


@functools.cache
def _deferred_order() -> list[Any]:
    q = _queries()
    return [q.run_update, q.project_entity, *q.delete_fields.values(), s.run_fields, q.delete_keys, s.run_keys,
            q.insert_cursor, q.cursor_update, s.tails]


@dataclass
class Prefetched:
    """What a transaction applying many runs' batches read for all of them at once: each run's
    ``(run pk, cursor offset, saved state)`` by (project, run id), and its series as
    ``run_series`` reads them (key -> (pk, n, mono, points in the tail)) by run pk. Each
    entry is taken once: after the run's writes it would be stale."""

    cursors: dict[tuple[str, str], tuple[int, int, bytes | None]] = field(default_factory=dict)
    series: dict[int, dict[str, tuple[int, int, int, int]]] = field(default_factory=dict)


class _Queries:
    """The statements ingest runs for every run, built once: building a SQLAlchemy statement costs
    more than executing it on a small run."""

    def __init__(self) -> None:
        pk: sa.BindParameter[int] = sa.bindparam("p_pk")
        self.project_pk = sa.select(s.projects.c.pk).where(s.projects.c.name == sa.bindparam("p_name"))
        self.run_pk = sa.select(s.runs.c.pk).where(s.runs.c.project_pk == pk,
                                                   s.runs.c.run_id == sa.bindparam("p_run")).with_for_update()
        self.cursor = sa.select(s.cursors.c.offset, s.cursors.c.state).where(s.cursors.c.run_pk == pk)
        cols = ("name", "state", "created_at", "updated_at", "ended_at", "heartbeat_at", "runtime", "last_step",
                "rows", "exit_code", "error", "group_name", "job_type", "notes", "user_name", "tags", "config",
                "summary", "metadata", "flags", "seq")
        self.run_update = sa.update(s.runs).where(s.runs.c.pk == pk).values(
            {c: sa.bindparam(f"v_{c}") for c in cols})
        # by the parts ingest rewrites (field_rows.FieldRows.changed)
        in_summary = s.run_fields.c.field.like(f"{SUMMARY_PREFIX}%")
        fields = sa.delete(s.run_fields).where(s.run_fields.c.run_pk == pk)
        self.delete_fields = {(OTHER, SUMMARY): fields, (OTHER,): fields.where(~in_summary),
                              (SUMMARY,): fields.where(in_summary)}
        self.delete_keys = sa.delete(s.run_keys).where(s.run_keys.c.run_pk == pk)
        self.cursor_update = sa.update(s.cursors).where(s.cursors.c.run_pk == pk).values(
            {c: sa.bindparam(f"v_{c}") for c in ("offset", "state", "updated_at")})
        # points of the series in its tail (series.append_live): the tail's rows hold its last
        # points, from the first row's start to n, so one index lookup per series counts them (a
        # sum over the rows grew with every batch the tail took)
        first = sa.select(sa.func.min(s.tails.c.start)).where(s.tails.c.series_pk == s.series.c.pk).scalar_subquery()
        held = sa.func.coalesce(s.series.c.n - first, 0)
        series_cols = (s.series.c.key, s.series.c.pk, s.series.c.n, s.series.c.mono, held)
        self.series = sa.select(*series_cols).where(s.series.c.run_pk == pk)
        # the same for several runs at once, with each series' run (series_of_runs)
        self.series_of_runs = sa.select(s.series.c.run_pk, *series_cols).where(
            s.series.c.run_pk.in_(sa.bindparam("p_pks", expanding=True)))
        self.series_pks = sa.select(s.series.c.key, s.series.c.pk).where(s.series.c.run_pk == pk)
        self.next_seq = sa.select(sa.func.coalesce(sa.func.max(s.runs.c.seq), 0) + 1)
        self.insert_run = sa.insert(s.runs)
        self.insert_cursor = sa.insert(s.cursors)
        # only when it changes: an UPDATE that changes nothing would still lock the project's row,
        # which every batch of every run of the project would then queue for
        self.project_entity = sa.update(s.projects).where(
            s.projects.c.pk == sa.select(s.runs.c.project_pk).where(s.runs.c.pk == pk).scalar_subquery(),
            s.projects.c.entity != sa.bindparam("v_entity"),
        ).values(entity=sa.bindparam("v_entity"))
        self.insert = {t.name: sa.insert(t) for t in (s.run_fields, s.run_keys, s.series, s.hists, s.media,
                                                      s.output, s.artifact_events)}


@functools.cache
def _queries() -> _Queries:
    return _Queries()


def _insert_pk(conn: sa.Connection, stmt: sa.Insert) -> int:
    key = conn.execute(stmt).inserted_primary_key
    assert key is not None
    return int(key[0])


def _next_seq(conn: sa.Connection) -> int:
    return int(conn.execute(_queries().next_seq).scalar_one())


def delete_run_data(conn: sa.Connection, run_pk: int, keep_run: bool) -> None:
    """Remove every indexed row of a run (its ``runs`` row too, unless ``keep_run``)."""
    spks = sa.select(s.series.c.pk).where(s.series.c.run_pk == run_pk).scalar_subquery()
    conn.execute(sa.delete(s.chunks).where(s.chunks.c.series_pk.in_(spks)))
    conn.execute(sa.delete(s.tiers).where(s.tiers.c.series_pk.in_(spks)))
    conn.execute(sa.delete(s.tails).where(s.tails.c.series_pk.in_(spks)))
    conn.execute(sa.delete(s.series).where(s.series.c.run_pk == run_pk))
    derived.count_keys(conn, run_pk, derived.run_key_pairs(conn, run_pk), ())
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
