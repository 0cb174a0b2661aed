"""Online ingest: batches of a run log's frames, applied to a team server exactly once.

A client streams its run log as batches ``(start offset, bytes)``; the bytes are whole frames,
and the first batch starts at offset 0 with the log's header. ``apply_batch`` keeps, per run, the
end offset the server holds (``online_runs``) and, in one transaction:

- a batch that starts at that end is checked frame by frame (length, checksum, and that every
  record can be interpreted), stored as a log segment, indexed, and the end moves past it;
- a batch that starts before the end overlaps what is held: its new part (if any) is applied,
  the rest was applied before and is skipped, so a batch sent twice changes nothing;
- a batch that starts beyond the end is refused with the offset the server expects.

The index cursor (``cursors``) advances in the same transaction as the held end, so a server
killed at any point leaves both at the same batch boundary. The segments are the run log itself:
the index can be rebuilt from them, and ``SegmentStream`` reads them back like a log file.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import sqlalchemy as sa

from ..log.framing import MAGIC, LogFormatError, ScanResult, read_frame_runs, read_frames
from ..log.rowblock import RowTemplate
from ..log.state import RunState
from . import derived
from . import schema as s
from . import team_schema as t
from .db import Store
from .ingest import Deferred, Ingestor, Prefetched, defer_after, key_kinds, series_of_runs
from .ingest_pass import _Batch, _Pass

HEAD_SIZE = 16  # header + the first frame's length and checksum: a log's identity
MAX_BATCH_BYTES = 16 * 1024 * 1024
INGEST_THREADS = 2  # GroupIngest's threads by default (server/team_cli.default_ingest_threads)
_ROOT = Path("/runyard-team")  # runs of a team server have no folder; see _TeamIngestor


class BatchError(ValueError):
    """A batch the server refuses: ``status`` for the HTTP answer, ``expected`` for a gap."""

    def __init__(self, status: int, message: str, expected: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.expected = expected


@dataclass
class Ack:
    offset: int  # the end offset the server now holds
    applied: int  # bytes of this batch that were new
    records: int = 0
    points: int = 0


class OffsetStream:
    """``bytes`` that sit at ``base`` in a log, read like the log file (``seek`` takes log offsets)."""

    def __init__(self, data: bytes, base: int) -> None:
        self.data, self.base, self.pos = data, base, 0

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = pos - self.base
        return pos

    def size(self) -> int:
        return self.base + len(self.data)

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.pos + n
        out = self.data[self.pos : end]
        self.pos += len(out)
        return out


class SegmentStream:
    """A run log held in ``log_segments``, read like the log file over an open connection."""

    def __init__(self, conn: sa.Connection, project: str, run_id: str) -> None:
        self.conn, self.project, self.run_id, self.pos = conn, project, run_id, 0

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = pos
        return pos

    def size(self) -> int:
        return held_offset(self.conn, self.project, self.run_id)

    def read(self, n: int = -1) -> bytes:
        seg = t.log_segments
        length = sa.func.length(seg.c.data)
        query = (sa.select(seg.c.start, seg.c.data)
                 .where(seg.c.project == self.project, seg.c.run_id == self.run_id,
                        seg.c.start + length > self.pos)
                 .order_by(seg.c.start))
        if n >= 0:
            query = query.where(seg.c.start < self.pos + n)
        out = bytearray()
        for start, data in self.conn.execute(query):
            if start > self.pos + len(out):
                break  # a gap cannot happen (batches are contiguous); stop as at an end
            piece = bytes(data)[self.pos + len(out) - start :]
            out += piece if n < 0 else piece[: n - len(out)]
            if 0 <= n <= len(out):
                break
        self.pos += len(out)
        return bytes(out)


def held_offset(conn: sa.Connection, project: str, run_id: str) -> int:
    """The end offset of the run log the server holds (0: nothing yet)."""
    end = conn.execute(sa.select(t.online_runs.c.end_offset).where(
        t.online_runs.c.project == project, t.online_runs.c.run_id == run_id)).scalar()
    return int(end) if end is not None else 0


def check_frames(data: bytes, start: int) -> int:
    """Count the frames of a batch; raise ``BatchError`` unless it is whole, good frames only."""
    if start == 0 and not data.startswith(MAGIC):
        raise BatchError(400, "a batch at offset 0 must start with the run log header")
    scan = ScanResult(start, 0)
    count = 0
    try:
        for _ in read_frames(OffsetStream(data, start), start, scan):
            count += 1
    except LogFormatError as exc:
        raise BatchError(400, f"not a run log: {exc}") from None
    if scan.valid_end != start + len(data) or scan.damaged:
        raise BatchError(400, f"the batch is not whole, good frames: bytes from offset {scan.valid_end} "
                              "are cut short or fail their checksum; nothing was applied")
    return count


class _TeamIngestor(Ingestor):
    """The folder ingest, fed from a stream instead of a file.

    Team runs have no folder: they are given one under a root that does not exist, so the run's
    index path reads ``project/run_id`` and liveness falls back on heartbeats (``resolve_crash``
    finds no log file to look at)."""

    def apply(self, conn: sa.Connection, project: str, run_id: str, owner: str, stream: Any,
              offset: int, end: int, defer: Deferred | None = None, user: str = "") -> tuple[int, int]:
        """Ingest the frames of ``stream`` from ``offset`` to ``end``; return (records, points).
        ``defer``: collect the writes that can wait for the end of a group (``GroupIngest``).
        ``user``: who streamed the run's first batch, its user from then on (``RunState.user``;
        the OS login its log names is the client machine's, not a member of the server)."""
        folder = _ROOT / project / run_id
        run_pk, cursor, blob = self._cursor(conn, project, run_id, folder)
        if cursor != offset:
            raise BatchError(503, f"the index of run {project}/{run_id} is at offset {cursor}, its log at "
                                  f"{offset}: rebuild the index (runyard server reindex)")
        saved = msgpack.unpackb(blob, raw=False, strict_map_key=False) if blob is not None else None
        state = RunState.from_dict(saved["state"]) if saved else RunState()
        kinds: dict[str, list[str]] = saved["kinds"] if saved else {}
        flags: dict[str, Any] = saved.get("flags", {}) if saved else {}
        head = bytes(saved.get("head", b"")) if saved else b""
        fields = saved.get("fields") if saved else None
        records = points = 0
        written = saved is not None  # run_keys rows hold the kinds of ``state`` and ``kinds``
        passes = 0
        while offset < end:
            if defer is not None and passes:  # a second pass reads what the first wrote
                defer.flush(conn)
            passes += 1
            keys_before = key_kinds(state, kinds) if written else None
            metrics_before = derived.metric_defs(state) if written else None
            batch = _Batch()
            scan = ScanResult(offset, 0)
            frames = read_frame_runs(stream, offset, scan)
            stopped = _Pass(state, batch, kinds, flags, templates=self._templates).run(frames)
            frames.close()
            if user and saved is None:
                state.user = user
            if "corrupt" in flags:
                raise BatchError(400, f"a record at offset {flags['corrupt'].get('offset')} cannot be read "
                                      f"({flags['corrupt'].get('error')}); nothing was applied")
            offset = stopped[0] if stopped is not None else scan.valid_end
            if not head and offset > 0:
                stream.seek(0)
                head = stream.read(HEAD_SIZE)
            fields = self._write(conn, run_pk, folder, state, kinds, flags, batch, offset, head, keys_before,
                                 defer=defer, cursor_exists=written, metrics_before=metrics_before,
                                 fields_before=fields)
            written = True
            records += batch.records
            points += batch.points
            if stopped is None:
                break
        # only when it changes: see ingest._Queries.project_entity
        (conn.execute if defer is None else defer.execute)(_Q.owner, {"p_pk": run_pk, "v_owner": owner})
        return records, points


class _TeamQueries:
    """The team ingest's own writes, built once (and deferrable: ``ingest.Deferred``)."""

    def __init__(self) -> None:
        ppk = sa.select(s.runs.c.project_pk).where(s.runs.c.pk == sa.bindparam("p_pk")).scalar_subquery()
        self.owner = sa.update(s.projects).where(s.projects.c.pk == ppk, s.projects.c.entity != sa.bindparam("v_owner")
                                                 ).values(entity=sa.bindparam("v_owner"))
        self.segment = sa.insert(t.log_segments)
        where = (t.online_runs.c.project == sa.bindparam("p_project"), t.online_runs.c.run_id == sa.bindparam("p_run"))
        self.lock_held = sa.select(t.online_runs.c.end_offset, t.online_runs.c.head).where(*where).with_for_update()
        self.held = sa.update(t.online_runs).where(*where).values(
            end_offset=sa.bindparam("v_end"), updated_at=sa.bindparam("v_at"))
        self.held_first = sa.update(t.online_runs).where(*where).values(
            end_offset=sa.bindparam("v_end"), updated_at=sa.bindparam("v_at"), head=sa.bindparam("v_head"))
        defer_after(self.owner, t.log_segments, self.held, self.held_first)


_Q = _TeamQueries()


def reindex(store: Store, progress: Callable[[str, str, int, int], None] | None = None) -> tuple[int, int, int]:
    """Rebuild a team server's index from the run logs it holds (``log_segments``), as ``runyard
    reindex`` rebuilds a folder's from its files: the index tables are emptied, then each run's
    log is ingested from offset 0 in one transaction of its own. The team tables (users, keys,
    owners, the logs themselves, file hashes) are kept. A batch that arrives meanwhile for a run
    not rebuilt yet is answered 503 (its index is behind its log) and its sender retries.
    ``progress(project, run_id, records, points)`` follows each run. Returns (runs, records, points)."""
    with store.read() as conn:
        held = conn.execute(sa.select(t.online_runs.c.project, t.online_runs.c.run_id, t.online_runs.c.end_offset,
                                      t.online_runs.c.user_name)
                            .where(t.online_runs.c.end_offset > 0)
                            .order_by(t.online_runs.c.project, t.online_runs.c.run_id)).all()
        owners = dict(conn.execute(sa.select(t.project_owners.c.project, t.entities.c.name).select_from(
            t.project_owners.join(t.entities, t.entities.c.pk == t.project_owners.c.entity_pk))).all())
    store.clear()
    total_records = total_points = 0
    for project, run_id, end, user in held:
        with store.begin() as conn:
            records, points = _TeamIngestor(_ROOT, store).apply(
                conn, project, run_id, owners.get(project, "local"), SegmentStream(conn, project, run_id), 0, int(end),
                user=user or "")
        total_records += records
        total_points += points
        if progress is not None:
            progress(project, run_id, records, points)
    return len(held), total_records, total_points


def insert_ignore(conn: sa.Connection, table: sa.Table, values: dict[str, Any]) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as lite_insert

        conn.execute(lite_insert(table).values(**values).on_conflict_do_nothing())


def apply_batch(store: Store, project: str, run_id: str, owner: str, start: int, data: bytes,
                head: bytes, templates: dict[int, list[RowTemplate]] | None = None, user: str = "") -> Ack:
    """Apply one batch exactly once (see the module docstring); ``head``: the client log's first
    ``HEAD_SIZE`` bytes, which must match the log the server holds under this run id; ``user``:
    the sender's name (``_apply_in``)."""
    if start < 0:
        raise BatchError(400, "offset must be 0 or more")
    if len(data) > MAX_BATCH_BYTES:
        raise BatchError(413, f"a batch holds at most {MAX_BATCH_BYTES} bytes, this one {len(data)}")
    try:
        return _apply(store, project, run_id, owner, start, data, head, templates, user)
    except sa.exc.IntegrityError:  # two first batches of one new project raced: the loser retries
        raise BatchError(503, f"a concurrent request created run {project}/{run_id}'s rows first; "
                              "send again") from None


def _apply(store: Store, project: str, run_id: str, owner: str, start: int, data: bytes, head: bytes,
           templates: dict[int, list[RowTemplate]] | None, user: str) -> Ack:
    if start == 0:  # a new run (or a resend of its start): the project row first, on its own, since
        _project_row(store, project, owner)  # the runs of one new project race here
    ingestor = _TeamIngestor(_ROOT, store)
    if templates is not None:  # row layouts learnt from earlier batches (learning one costs milliseconds)
        ingestor._templates = templates
    with store.begin() as conn:
        return _apply_in(conn, store, project, run_id, owner, start, data, head, ingestor=ingestor, user=user)


def _project_row(store: Store, project: str, owner: str) -> None:
    with store.begin() as conn:
        insert_ignore(conn, s.projects, {"entity": owner, "name": project, "created_at": time.time()})


def _apply_in(conn: sa.Connection, store: Store, project: str, run_id: str, owner: str, start: int, data: bytes,
              head: bytes, defer: Deferred | None = None, ingestor: _TeamIngestor | None = None,
              prefetched: dict[tuple[str, str], Any] | None = None, user: str = "") -> Ack:
    """Apply one batch in the open transaction ``conn`` (see ``apply_batch``); with ``defer``, the
    writes that can wait are collected there for the caller to flush before it commits;
    ``prefetched``: the run's ``online_runs`` row (end offset, head), read and locked already;
    ``user``: the name of the user sending it, kept as the run's user when it creates the run."""
    key = {"p_project": project, "p_run": run_id}
    row = prefetched.pop((project, run_id), None) if prefetched is not None else None
    if row is None:
        row = conn.execute(_Q.lock_held, key).first()
    if row is None:
        if start > 0:
            raise BatchError(409, f"the server holds nothing of run {project}/{run_id}; send from offset 0",
                             expected=0)
        insert_ignore(conn, t.online_runs, {"project": project, "run_id": run_id, "end_offset": 0,
                                             "head": b"", "updated_at": time.time(), "user_name": user or None})
        row = conn.execute(_Q.lock_held, key).one()
    end, held_head = int(row[0]), bytes(row[1])
    if held_head and head and held_head != head[: len(held_head)]:
        raise BatchError(409, f"run {project}/{run_id} on this server holds another log (a different run "
                              "with the same id); start the run under a new id")
    if start > end:
        raise BatchError(409, f"the server holds run {project}/{run_id} up to offset {end}; send from "
                              "there", expected=end)
    new = data[end - start :]
    if not new:
        return Ack(end, 0)
    check_frames(new, end)
    ingestor = ingestor or _TeamIngestor(_ROOT, store)
    records, points = ingestor.apply(conn, project, run_id, owner, OffsetStream(new, end), end, end + len(new), defer,
                                     user if end == 0 else "")
    segment = {"project": project, "run_id": run_id, "start": end, "data": new}
    moved: dict[str, Any] = {"p_project": project, "p_run": run_id, "v_end": end + len(new), "v_at": time.time()}
    if defer is not None:
        defer.copy(t.log_segments, [segment])
    else:
        conn.execute(_Q.segment, segment)
    (conn.execute if defer is None else defer.execute)(
        _Q.held_first if end == 0 else _Q.held, {**moved, "v_head": new[:HEAD_SIZE]} if end == 0 else moved)
    return Ack(end + len(new), len(new), records, points)


def _prefetch(conn: sa.Connection, runs: list[tuple[str, str]]) -> tuple[dict[tuple[str, str], Any], Prefetched]:
    """Read (and lock, in one order) what applying a batch reads first, for many runs at once: their
    ``online_runs`` rows, their index rows and cursors, and their series."""
    pairs = sorted(set(runs))
    o, r, p, c = t.online_runs, s.runs, s.projects, s.cursors
    held = {(row[0], row[1]): (row[2], row[3]) for row in conn.execute(
        sa.select(o.c.project, o.c.run_id, o.c.end_offset, o.c.head)
        .where(sa.tuple_(o.c.project, o.c.run_id).in_(pairs)).order_by(o.c.project, o.c.run_id).with_for_update())}
    out = Prefetched()
    for name, run_id, rpk, offset, blob in conn.execute(
            sa.select(p.c.name, r.c.run_id, r.c.pk, c.c.offset, c.c.state)
            .select_from(r.join(p, p.c.pk == r.c.project_pk).outerjoin(c, c.c.run_pk == r.c.pk))
            .where(sa.tuple_(p.c.name, r.c.run_id).in_(pairs)).order_by(p.c.name, r.c.run_id)
            .with_for_update(of=r)):
        out.cursors[(name, run_id)] = (int(rpk), int(offset or 0), bytes(blob) if blob is not None else None)
    indexed = [rpk for rpk, _, blob in out.cursors.values() if blob is not None]
    if indexed:
        out.series = series_of_runs(conn, indexed)
    return held, out


@dataclass
class _Pending:
    project: str
    run_id: str
    owner: str
    start: int
    data: bytes
    head: bytes
    future: Future[Ack]
    user: str = ""


class GroupIngest:
    """Applies the batches of one server process's concurrent requests together: a worker thread
    takes every batch waiting (up to ``MAX_GROUP`` batches or ``MAX_GROUP_BYTES``) and applies them
    in one transaction, in (project, run, offset) order so that two server processes lock runs in
    the same order. One commit, one connection checkout and one notification then serve many runs'
    batches, and the answers go out after that commit: each batch is still applied exactly once,
    with its run's held end, as ``apply_batch`` applies it. When anything in a group fails (a batch
    refused, two processes racing to create a run, a deadlock), the group is rolled back and each
    of its batches is applied alone, so every batch gets its own answer. A worker holding one
    batch waits up to ``LINGER`` for others to join it."""

    MAX_GROUP = 64
    MAX_GROUP_BYTES = 32 * 1024 * 1024
    # how long a worker waits for company once it holds a batch: a group of a few batches costs
    # each of them about half what a batch alone costs, for a few milliseconds of latency
    LINGER = 0.005

    def __init__(self, store: Store, workers: int = INGEST_THREADS) -> None:
        """``workers``: threads applying groups (0: none; the caller calls ``apply``)."""
        self.store = store
        self.together = self.alone = 0  # batches applied in a group's transaction / on their own
        self._templates: dict[int, list[RowTemplate]] = {}  # row layouts learnt (ingest_pass._Pass)
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        # SQLite has one writer: a second thread would only wait for the first
        self._threads = [threading.Thread(target=self._run, name=f"runyard-ingest-{i}", daemon=True)
                         for i in range(workers if store.dialect == "postgresql" else min(workers, 1))]
        self._started = False
        self._start_lock = threading.Lock()

    def submit(self, project: str, run_id: str, owner: str, start: int, data: bytes, head: bytes,
               user: str = "") -> Future[Ack]:
        """Queue a batch (``user``: its sender's name); the future holds its ``Ack`` or the
        ``BatchError`` (or database error)."""
        if start < 0:
            raise BatchError(400, "offset must be 0 or more")
        if len(data) > MAX_BATCH_BYTES:
            raise BatchError(413, f"a batch holds at most {MAX_BATCH_BYTES} bytes, this one {len(data)}")
        if not self._started:  # on the first batch: an app that never ingests starts no thread
            with self._start_lock:
                if not self._started:
                    for th in self._threads:
                        th.start()
                    self._started = True
        fut: Future[Ack] = Future()
        self._queue.put(_Pending(project, run_id, owner, start, data, head, fut, user))
        return fut

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            size = len(group[0].data)
            until = time.monotonic() + self.LINGER
            while len(group) < self.MAX_GROUP and size < self.MAX_GROUP_BYTES:
                try:
                    item = self._queue.get(timeout=max(0.0, until - time.monotonic()))
                except queue.Empty:
                    break
                group.append(item)
                size += len(item.data)
            try:
                self.apply(group)
            except BaseException as exc:  # noqa: BLE001 - the thread must live on, and no request wait forever
                for p in group:
                    if not p.future.done():
                        p.future.set_exception(exc)

    def apply(self, group: list[_Pending]) -> None:
        """Apply a group: in rounds that hold each run once (a run's deferred writes must land
        before its next batch reads its held end), each round one transaction."""
        rounds: list[list[_Pending]] = []
        seen: dict[tuple[str, str], int] = {}
        for p in sorted(group, key=lambda p: (p.project, p.run_id, p.start)):
            i = seen[(p.project, p.run_id)] = seen.get((p.project, p.run_id), -1) + 1
            if i == len(rounds):
                rounds.append([])
            rounds[i].append(p)
        for one in rounds:
            self._apply_round(one)

    def _apply_round(self, group: list[_Pending]) -> None:
        if len(group) > 1:
            try:
                for owner, project in sorted({(p.owner, p.project) for p in group if p.start == 0}):
                    _project_row(self.store, project, owner)
                ingestor = _TeamIngestor(_ROOT, self.store)
                ingestor.project_pks = {}
                ingestor._templates = self._templates
                defer = Deferred()
                with self.store.begin() as conn:
                    held, ingestor.prefetched = _prefetch(conn, [(p.project, p.run_id) for p in group])
                    acks = [_apply_in(conn, self.store, p.project, p.run_id, p.owner, p.start, p.data, p.head,
                                      defer, ingestor, held, p.user) for p in group]
                    defer.flush(conn)
            except Exception:  # noqa: BLE001 - rolled back: each batch alone gets its own answer
                pass
            else:
                self.together += len(group)
                for p, ack in zip(group, acks, strict=True):
                    p.future.set_result(ack)
                return
        self.alone += len(group)
        for p in group:
            try:
                p.future.set_result(apply_batch(self.store, p.project, p.run_id, p.owner, p.start, p.data, p.head,
                                                self._templates, p.user))
            except BaseException as exc:  # noqa: BLE001 - handed to the request that waits for it
                p.future.set_exception(exc)
