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

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import sqlalchemy as sa

from ..log.framing import MAGIC, LogFormatError, ScanResult, read_frame_runs, read_frames
from ..log.state import RunState
from . import derived
from . import schema as s
from . import team_schema as t
from .db import Store
from .ingest import Ingestor, key_kinds
from .ingest_pass import _Batch, _Pass

HEAD_SIZE = 16  # header + the first frame's length and checksum: a log's identity
MAX_BATCH_BYTES = 16 * 1024 * 1024
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
              offset: int, end: int) -> tuple[int, int]:
        """Ingest the frames of ``stream`` from ``offset`` to ``end``; return (records, points)."""
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
        records = points = 0
        written = saved is not None  # run_keys rows hold the kinds of ``state`` and ``kinds``
        while offset < end:
            keys_before = key_kinds(state, kinds) if written else None
            metrics_before = derived.metric_defs(state) if written else None
            batch = _Batch()
            scan = ScanResult(offset, 0)
            frames = read_frame_runs(stream, offset, scan)
            stopped = _Pass(state, batch, kinds, flags).run(frames)
            frames.close()
            if "corrupt" in flags:
                raise BatchError(400, f"a record at offset {flags['corrupt'].get('offset')} cannot be read "
                                      f"({flags['corrupt'].get('error')}); nothing was applied")
            offset = stopped[0] if stopped is not None else scan.valid_end
            if not head and offset > 0:
                stream.seek(0)
                head = stream.read(HEAD_SIZE)
            self._write(conn, run_pk, folder, state, kinds, flags, batch, offset, head, keys_before,
                        metrics_before=metrics_before)
            written = True
            records += batch.records
            points += batch.points
            if stopped is None:
                break
        ppk = sa.select(s.runs.c.project_pk).where(s.runs.c.pk == run_pk).scalar_subquery()
        conn.execute(sa.update(s.projects).where(s.projects.c.pk == ppk, s.projects.c.entity != owner)
                     .values(entity=owner))  # only when it changes: see ingest._Queries.project_entity
        return records, points


def reindex(store: Store, progress: Callable[[str, str, int, int], None] | None = None) -> tuple[int, int, int]:
    """Rebuild a team server's index from the run logs it holds (``log_segments``), as ``runyard
    reindex`` rebuilds a folder's from its files: the index tables are emptied, then each run's
    log is ingested from offset 0 in one transaction of its own. The team tables (users, keys,
    owners, the logs themselves, file hashes) are kept. A batch that arrives meanwhile for a run
    not rebuilt yet is answered 503 (its index is behind its log) and its sender retries.
    ``progress(project, run_id, records, points)`` follows each run. Returns (runs, records, points)."""
    with store.read() as conn:
        held = conn.execute(sa.select(t.online_runs.c.project, t.online_runs.c.run_id, t.online_runs.c.end_offset)
                            .where(t.online_runs.c.end_offset > 0)
                            .order_by(t.online_runs.c.project, t.online_runs.c.run_id)).all()
        owners = dict(conn.execute(sa.select(t.project_owners.c.project, t.entities.c.name).select_from(
            t.project_owners.join(t.entities, t.entities.c.pk == t.project_owners.c.entity_pk))).all())
    store.clear()
    total_records = total_points = 0
    for project, run_id, end in held:
        with store.begin() as conn:
            records, points = _TeamIngestor(_ROOT, store).apply(
                conn, project, run_id, owners.get(project, "local"), SegmentStream(conn, project, run_id), 0, int(end))
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
                head: bytes) -> Ack:
    """Apply one batch exactly once (see the module docstring); ``head``: the client log's first
    ``HEAD_SIZE`` bytes, which must match the log the server holds under this run id."""
    if start < 0:
        raise BatchError(400, "offset must be 0 or more")
    if len(data) > MAX_BATCH_BYTES:
        raise BatchError(413, f"a batch holds at most {MAX_BATCH_BYTES} bytes, this one {len(data)}")
    try:
        return _apply(store, project, run_id, owner, start, data, head)
    except sa.exc.IntegrityError:  # two first batches of one new project raced: the loser retries
        raise BatchError(503, f"a concurrent request created run {project}/{run_id}'s rows first; "
                              "send again") from None


def _apply(store: Store, project: str, run_id: str, owner: str, start: int, data: bytes, head: bytes) -> Ack:
    held = sa.select(t.online_runs.c.end_offset, t.online_runs.c.head).where(
        t.online_runs.c.project == project, t.online_runs.c.run_id == run_id).with_for_update()
    if start == 0:  # a new run (or a resend of its start): the project row first, on its own, since
        with store.begin() as conn:  # the runs of one new project race here
            insert_ignore(conn, s.projects, {"entity": owner, "name": project, "created_at": time.time()})
    with store.begin() as conn:
        row = conn.execute(held).first()
        if row is None:
            if start > 0:
                raise BatchError(409, f"the server holds nothing of run {project}/{run_id}; send from offset 0",
                                 expected=0)
            insert_ignore(conn, t.online_runs, {"project": project, "run_id": run_id, "end_offset": 0,
                                                 "head": b"", "updated_at": time.time()})
            row = conn.execute(held).one()
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
        records, points = _TeamIngestor(_ROOT, store).apply(conn, project, run_id, owner,
                                                           OffsetStream(new, end), end, end + len(new))
        conn.execute(sa.insert(t.log_segments).values(project=project, run_id=run_id, start=end, data=new))
        values: dict[str, Any] = {"end_offset": end + len(new), "updated_at": time.time()}
        if end == 0:
            values["head"] = new[:HEAD_SIZE]
        conn.execute(sa.update(t.online_runs).where(
            t.online_runs.c.project == project, t.online_runs.c.run_id == run_id).values(**values))
        return Ack(end + len(new), len(new), records, points)
