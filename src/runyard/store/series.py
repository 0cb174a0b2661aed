"""Numeric series: chunked points plus precomputed downsampling tiers, and the chart query.

Points of one (run, key) series are numbered 0..n-1 in log order. Raw points are stored
``CHUNK`` per row of ``chunks``. Tier level ``l >= 1`` holds buckets of ``bucket_size(l)`` =
64 * 4**(l-1) consecutive points (bucket ``j`` covers points ``j*s .. j*s+s-1``), ``TIER_CHUNK``
buckets per row of ``tiers``; a level exists once the series has more points than its bucket
size. Each bucket keeps min, max, first, last, sum, count (of finite values), the point count,
flags for NaN/±inf and the x of its first and last point on each built-in axis.

Appending is incremental: only the partial tail chunk of each level is read back and rewritten,
so appending k points costs O(k + CHUNK + levels * TIER_CHUNK), whatever the series length.

A chart query (``query``) maps an x range to a point range with at most two chunk reads, picks
the coarsest level that still yields at least ``max_points`` buckets in that range and merges
groups of ``k`` buckets, aligned on absolute bucket numbers, so the answer is deterministic (the
same request always returns the same buckets) and reads between ``max_points`` and
``4 * max_points`` buckets, or at most ``64 * max_points`` raw points when the series is short.
Min and max survive every merge, so a spike is never lost; a range holding at most
``max_points`` points returns every point (full resolution).

Built-in axes (``_step``, ``_timestamp``, ``_runtime``) use the point order when the series is
monotonic on that axis (recorded at append). Any other x key, or an axis that went backwards
(a clock jump), takes the general path: both series are read whole and joined on the step, which
costs O(points logged) rather than O(points returned).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from .codec import (
    F64,
    HAS_NAN,
    HAS_NEGINF,
    HAS_POSINF,
    I64,
    Buckets,
    decode_points,
    encode_axes,
    encode_points,
    encode_values,
    join_points,
)
from .db import driver_executemany, insert_rows
from .schema import chunks, series, tails, tiers

CHUNK = 4096
TIER_CHUNK = 512
BASE_BUCKET = 64
FANOUT = 4
AXES = {"_step": 1, "_timestamp": 2, "_runtime": 4}
_AXIS_COLS = {"_step": ("step_first", "step_last"), "_timestamp": ("ts_first", "ts_last"),
              "_runtime": ("rt_first", "rt_last")}
ALL_MONO = 7


def bucket_size(level: int) -> int:
    return int(BASE_BUCKET * FANOUT ** (level - 1))


@dataclass
class Points:
    steps: I64
    ts: F64
    rt: F64
    values: F64

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def concat(cls, parts: list[Points]) -> Points:
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("steps", "ts", "rt", "values")))

    def slice(self, a: int, b: int) -> Points:
        return Points(self.steps[a:b], self.ts[a:b], self.rt[a:b], self.values[a:b])

    def buckets(self) -> Buckets:
        return Buckets.from_points(self.steps, self.ts, self.rt, self.values)


def _mono_bits(p: Points) -> int:
    bits = 0
    for bit, arr in ((1, p.steps), (2, p.ts), (4, p.rt)):
        if len(arr) < 2 or bool(np.all(arr[1:] >= arr[:-1])):
            bits |= bit
    return bits


# --- reading ---------------------------------------------------------------------------------


# built once: a chart of 100 runs reads 100 series, and building the statement cost as much as
# running it
_CHUNKS = (sa.select(chunks.c.data).where(chunks.c.series_pk == sa.bindparam("spk"),
                                          chunks.c.chunk_no.between(sa.bindparam("c0"), sa.bindparam("c1")))
           .order_by(chunks.c.chunk_no))
_TIERS = (sa.select(tiers.c.data).where(tiers.c.series_pk == sa.bindparam("spk"),
                                        tiers.c.level == sa.bindparam("level"),
                                        tiers.c.chunk_no.between(sa.bindparam("c0"), sa.bindparam("c1")))
          .order_by(tiers.c.chunk_no))


def _stored_points(conn: sa.Connection, spk: int, lo: int, hi: int) -> Points:
    """Points ``lo .. hi-1`` of a series from its chunks (not its tail)."""
    if hi <= lo:
        return _no_points()
    c0, c1 = lo // CHUNK, (hi - 1) // CHUNK
    rows = conn.execute(_CHUNKS, {"spk": spk, "c0": c0, "c1": c1}).all()
    p = Points.concat([Points(*decode_points(r[0])) for r in rows])
    return p.slice(lo - c0 * CHUNK, hi - c0 * CHUNK)


def _stored_buckets(conn: sa.Connection, spk: int, level: int, lo: int, hi: int) -> Buckets:
    """Buckets ``lo .. hi-1`` of one tier level as stored (without the tail)."""
    c0, c1 = lo // TIER_CHUNK, (hi - 1) // TIER_CHUNK
    rows = conn.execute(_TIERS, {"spk": spk, "level": level, "c0": c0, "c1": c1}).all()
    b = Buckets.concat([Buckets.decode(r[0]) for r in rows])
    return b.slice(lo - c0 * TIER_CHUNK, hi - c0 * TIER_CHUNK)


def _no_points() -> Points:
    return Points(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0))


class Reader:
    """Reads one series: its chunks and tiers with its tail (points not sealed yet) laid over them
    exactly as sealing would store them (``_extend``, the code ``append_many`` writes with), so
    a read cannot tell a tail from sealed points. Without a tail it reads the rows as they are."""

    def __init__(self, conn: sa.Connection, spk: int, mono: int,
                 held: dict[int, tuple[int, Points]] | None = None) -> None:
        """``held``: ``tails_of`` the series, when read already for several series at once."""
        self.conn, self.spk, self.mono = conn, spk, mono
        self.ext: _Ext | None = None
        if held is None:
            held = _tail_points(conn, [spk])
        if spk in held:
            sealed, new = held[spk]
            new = _quantized(new)
            raw_tail, tier_tail = _read_tails(conn, [(spk, sealed, mono, new)])
            self.ext = _extend(conn, spk, sealed, mono, new, raw_tail, tier_tail)
            self.mono = self.ext.mono
            self.levels = {level: (t0, made) for level, t0, made in self.ext.levels}

    def points(self, lo: int, hi: int) -> Points:
        """Points ``lo .. hi-1``."""
        if self.ext is None:
            return _stored_points(self.conn, self.spk, lo, hi)
        base = self.ext.c0 * CHUNK
        if hi <= base:
            return _stored_points(self.conn, self.spk, lo, hi)
        over = self.ext.full.slice(max(lo, base) - base, hi - base)
        return Points.concat([_stored_points(self.conn, self.spk, lo, base), over]) if lo < base else over

    def buckets(self, level: int, lo: int, hi: int) -> Buckets:
        """Buckets ``lo .. hi-1`` of one tier level."""
        if self.ext is None or level not in self.levels:
            return _stored_buckets(self.conn, self.spk, level, lo, hi)
        t0, made = self.levels[level]
        base = t0 * TIER_CHUNK
        if hi <= base:
            return _stored_buckets(self.conn, self.spk, level, lo, hi)
        over = made.slice(max(lo, base) - base, hi - base)
        return Buckets.concat([_stored_buckets(self.conn, self.spk, level, lo, base), over]) if lo < base else over

    def point_index(self, n: int, axis: str, x: float, side: str) -> int:
        """Index of the first point whose x is >= x (side left) or > x (side right), on an axis
        the series is monotonic on."""
        col = chunks.c[_AXIS_COLS[axis][1]]
        cond = col >= x if side == "left" else col > x
        query = sa.select(chunks.c.chunk_no, chunks.c.data).where(chunks.c.series_pk == self.spk, cond)
        if self.ext is not None:
            query = query.where(chunks.c.chunk_no < self.ext.c0)
        row = self.conn.execute(query.order_by(chunks.c.chunk_no).limit(1)).first()
        if row is not None:
            p, first = Points(*decode_points(row[1])), int(row[0]) * CHUNK
        elif self.ext is not None:
            p, first = self.ext.full, self.ext.c0 * CHUNK
        else:
            return n
        arr = {"_step": p.steps, "_timestamp": p.ts, "_runtime": p.rt}[axis]
        return first + int(np.searchsorted(arr, x, side=side))  # type: ignore[call-overload]


def load_points(conn: sa.Connection, spk: int, lo: int, hi: int) -> Points:
    """Points ``lo .. hi-1`` of a series."""
    return Reader(conn, spk, ALL_MONO).points(lo, hi)


def load_buckets(conn: sa.Connection, spk: int, level: int, lo: int, hi: int) -> Buckets:
    """Buckets ``lo .. hi-1`` of one tier level."""
    return Reader(conn, spk, ALL_MONO).buckets(level, lo, hi)


# --- appending -------------------------------------------------------------------------------


def append(conn: sa.Connection, spk: int, n0: int, mono: int, new: Points) -> tuple[int, int]:
    """Append points to series ``spk`` (which holds ``n0``); return the new ``(n, mono)``."""
    return append_many(conn, [(spk, n0, mono, new)])[0]


_IN_BATCH = 400


def _quantized(p: Points, cache: dict[int, F64] | None = None) -> Points:
    """Times kept to the microsecond (codec), so that a chunk rebuilt from its decoded prefix equals
    the one a single pass would have written. ``cache`` (by array id) keeps the time arrays that
    series of one run share, shared."""
    memo: dict[int, F64] = {} if cache is None else cache

    def q(a: F64) -> F64:
        out = memo.get(id(a))
        if out is None:
            out = memo[id(a)] = np.round(a * 1e6) / 1e6
        return out

    return Points(p.steps, q(p.ts), q(p.rt), p.values)


_RawTail = dict[tuple[int, int], tuple[bytes, tuple[int, float, float]]]  # (series, chunk) -> data, last axes
_TierTail = dict[tuple[int, int, int], bytes]  # (series, level, chunk) -> data


def _read_tails(conn: sa.Connection, items: list[tuple[int, int, int, Points]]) -> tuple[_RawTail, _TierTail]:
    """What appending ``items`` rewrites: the last stored chunk of each series and the partial last
    chunk of each of its tier levels, read with a few bulk queries."""
    last_keys = [(spk, (n0 - 1) // CHUNK) for spk, n0, _, _ in items if n0]
    tier_keys = []
    for spk, n0, _, _ in items:
        level = 1
        while n0 > bucket_size(level):
            first = n0 // bucket_size(level)
            if first % TIER_CHUNK:
                tier_keys.append((spk, level, first // TIER_CHUNK))
            level += 1
    raw_tail: _RawTail = {}
    for i in range(0, len(last_keys), _IN_BATCH):
        part = last_keys[i : i + _IN_BATCH]
        for row in conn.execute(sa.select(chunks.c.series_pk, chunks.c.chunk_no, chunks.c.data, chunks.c.step_last,
                                          chunks.c.ts_last, chunks.c.rt_last)
                                .where(sa.tuple_(chunks.c.series_pk, chunks.c.chunk_no).in_(part))):
            raw_tail[(int(row[0]), int(row[1]))] = (bytes(row[2]), (int(row[3]), float(row[4]), float(row[5])))
    tier_tail: _TierTail = {}
    for i in range(0, len(tier_keys), _IN_BATCH):
        part3 = tier_keys[i : i + _IN_BATCH]
        for trow in conn.execute(sa.select(tiers.c.series_pk, tiers.c.level, tiers.c.chunk_no, tiers.c.data)
                                 .where(sa.tuple_(tiers.c.series_pk, tiers.c.level, tiers.c.chunk_no).in_(part3))):
            tier_tail[(int(trow[0]), int(trow[1]), int(trow[2]))] = bytes(trow[3])
    return raw_tail, tier_tail


@dataclass
class _Ext:
    """A series extended by new points, as stored from chunk ``c0`` and tier chunk ``t0`` of each
    level on: ``full`` holds the points from ``c0 * CHUNK`` to ``n1``, ``levels`` each level's
    buckets ``(level, t0, made)`` from bucket ``t0 * TIER_CHUNK`` to the last."""

    n1: int
    mono: int
    c0: int
    full: Points
    levels: list[tuple[int, int, Buckets]]


def _extend(conn: sa.Connection, spk: int, n0: int, mono: int, new: Points,
            raw_tail: _RawTail, tier_tail: _TierTail) -> _Ext:
    """The chunks and tier buckets series ``spk`` (holding ``n0`` points) has once ``new`` (times
    quantized) is appended: only the partial tail chunk of each level is rebuilt."""
    n1 = n0 + len(new)
    c0 = n0 // CHUNK
    full = new
    if n0:
        blob, (s_last, t_last, r_last) = raw_tail[(spk, (n0 - 1) // CHUNK)]
        if n0 % CHUNK:
            full = Points.concat([Points(*decode_points(blob)), new])
        prev = Points(np.array([s_last], np.int64), np.array([t_last]), np.array([r_last]), np.zeros(1))
        mono &= _mono_bits(Points.concat([prev, new]))
    else:
        mono = _mono_bits(new)
    levels: list[tuple[int, int, Buckets]] = []
    child = full.buckets()
    child_base = c0 * CHUNK
    level = 1
    while n1 > bucket_size(level):
        size = bucket_size(level)
        ratio = BASE_BUCKET if level == 1 else FANOUT
        first = n0 // size if n0 > size else 0  # first bucket touched by the new points
        need = first * ratio
        if need < child_base:  # a level born now: read the child level back (rows not rewritten)
            if level == 1:
                earlier = _stored_points(conn, spk, need, child_base).buckets()
            else:
                earlier = _stored_buckets(conn, spk, level - 1, need, child_base)
            child, child_base = Buckets.concat([earlier, child]), need
        src = child.slice(need - child_base, len(child))
        made = src.merge(np.arange(need, need + len(src), dtype=np.int64) // ratio)
        t0 = first // TIER_CHUNK
        if first % TIER_CHUNK:
            prefix = Buckets.decode(tier_tail[(spk, level, t0)]).slice(0, first - t0 * TIER_CHUNK)
            made = Buckets.concat([prefix, made])
        levels.append((level, t0, made))
        child, child_base = made, t0 * TIER_CHUNK
        level += 1
    return _Ext(n1, mono, c0, full, levels)


# built once: building a statement costs more than running it for a short run's few series
_DEL_CHUNKS = sa.delete(chunks).where(chunks.c.series_pk == sa.bindparam("d_spk"),
                                      chunks.c.chunk_no >= sa.bindparam("d_from"))
_SET_N = sa.update(series).where(series.c.pk == sa.bindparam("u_pk")).values(n=sa.bindparam("u_n"),
                                                                           mono=sa.bindparam("u_mono"))
_DEL_TIERS = sa.delete(tiers).where(tiers.c.series_pk == sa.bindparam("d_spk"),
                                    tiers.c.level == sa.bindparam("d_level"),
                                    tiers.c.chunk_no >= sa.bindparam("d_from"))


def append_many(conn: sa.Connection, items: list[tuple[int, int, int, Points]]) -> list[tuple[int, int]]:
    """Append points to many series at once: ``(series_pk, n, mono, points)`` each; return the new
    ``(n, mono)`` of each.

    Runs inside the caller's transaction, so a crash leaves either all of it or none of it. The
    partial tails it needs are read with a few bulk queries and every write is one executemany
    per table, so a run with a thousand keys costs a handful of statements per ingest pass.
    """
    cache: dict[int, F64] = {}  # series of one run share their time arrays, and keep sharing them
    items = [(spk, n0, mono, _quantized(p, cache)) for spk, n0, mono, p in items if len(p)]
    raw_tail, tier_tail = _read_tails(conn, items)
    del_chunks: list[dict[str, int]] = []
    ins_chunks: list[dict[str, object]] = []
    del_tiers: list[dict[str, int]] = []
    ins_tiers: list[dict[str, object]] = []
    upd: list[dict[str, int]] = []
    done: dict[int, tuple[int, int]] = {}
    # new series that share their rows (one run's keys logged together): written together
    shared: dict[tuple[int, int, int], list[int]] = {}
    for i, (_, n0, _, new) in enumerate(items):
        if n0 == 0:
            shared.setdefault((id(new.steps), id(new.ts), id(new.rt)), []).append(i)
    for members in shared.values():
        if len(members) > 1:
            done.update(_append_fresh([(items[i][0], items[i][3]) for i in members], ins_chunks, ins_tiers, upd))
    out: list[tuple[int, int]] = []
    for spk, n0, mono, new in items:
        if spk in done:
            out.append(done[spk])
            continue
        ext = _extend(conn, spk, n0, mono, new, raw_tail, tier_tail)
        full = ext.full
        del_chunks.append({"d_spk": spk, "d_from": ext.c0})
        for i in range(0, len(full), CHUNK):
            part_p = full.slice(i, i + CHUNK)
            ins_chunks.append({
                "series_pk": spk, "chunk_no": ext.c0 + i // CHUNK, "n": len(part_p),
                "step_first": int(part_p.steps[0]), "step_last": int(part_p.steps[-1]),
                "ts_first": float(part_p.ts[0]), "ts_last": float(part_p.ts[-1]),
                "rt_first": float(part_p.rt[0]), "rt_last": float(part_p.rt[-1]),
                "data": encode_points(part_p.steps, part_p.ts, part_p.rt, part_p.values),
            })
        for level, t0, made in ext.levels:
            del_tiers.append({"d_spk": spk, "d_level": level, "d_from": t0})
            for i in range(0, len(made), TIER_CHUNK):
                ins_tiers.append({"series_pk": spk, "level": level, "chunk_no": t0 + i // TIER_CHUNK,
                                  "n": min(TIER_CHUNK, len(made) - i),
                                  "data": made.slice(i, i + TIER_CHUNK).encode()})
        upd.append({"u_pk": spk, "u_n": ext.n1, "u_mono": ext.mono})
        out.append((ext.n1, ext.mono))
    if del_chunks:
        conn.execute(_DEL_CHUNKS, del_chunks)
    insert_rows(conn, chunks, ins_chunks)
    if upd and conn.dialect.name == "sqlite":
        driver_executemany(conn, "UPDATE series SET n = ?, mono = ? WHERE pk = ?",
                           [(u["u_n"], u["u_mono"], u["u_pk"]) for u in upd])
    elif upd:
        conn.execute(_SET_N, upd)
    if del_tiers:
        conn.execute(_DEL_TIERS, del_tiers)
    insert_rows(conn, tiers, ins_tiers)
    return out


# --- the live tail -----------------------------------------------------------------------------

LIVE_BATCH = 256  # an append of fewer points than this goes to the series' tail


def append_live(conn: sa.Connection, items: list[tuple[int, int, int, int, Points]], seal: bool = False,
                defer: Any = None) -> None:
    """Append points to many series, cheaply when each gets a few: ``(series_pk, n, mono, tail_n,
    points)`` each, ``tail_n`` the points of the series held in ``tails``.

    A small append (fewer than ``LIVE_BATCH`` points, and the tail stays under ``CHUNK``) is
    stored raw as one new ``tails`` row and bumps ``series.n``: no chunk or tier is read or
    rewritten, so it costs O(new points) however long the series. When the tail would reach a
    chunk (or the append is large), the tail and the new points are sealed together by
    ``append_many``, which writes the rows one pass over all the points would have written; that
    costs O(CHUNK + levels * TIER_CHUNK) once per CHUNK points. Reads lay the tail over the stored
    rows the same way (``Reader``), so they return what they would after sealing. ``series.mono``
    covers the sealed points; a read adds the tail's. Live clients append a few rows per series
    every few seconds: before the tail, each of those appends recompressed the open chunk and
    every tier level of every series (about 120 ms of CPU for 100 series).

    ``seal`` (a run that has ended: no point will follow) stores every series compressed, its
    tail included: a tail is for series that grow, and raw points take several times the space.

    ``defer`` (``ingest.Deferred``): the new tail rows and the counts' bumps are collected there,
    to be written with other runs' at the end of the transaction."""
    to_tail: list[tuple[int, int, Points]] = []
    to_seal: list[tuple[int, int, int, int, Points]] = []
    for spk, n, mono, tail_n, new in items:
        k = len(new.steps)
        if not k:
            continue
        if not seal and k < LIVE_BATCH and tail_n + k < CHUNK:
            to_tail.append((spk, n, new))
        else:
            to_seal.append((spk, n, mono, tail_n, new))
    if to_seal:
        held = _tail_points(conn, [spk for spk, _, _, tail_n, _ in to_seal if tail_n])
        spks = list(held)
        for i in range(0, len(spks), _IN_BATCH):
            conn.execute(sa.delete(tails).where(tails.c.series_pk.in_(spks[i : i + _IN_BATCH])))
        append_many(conn, [(spk, n - tail_n, mono, Points.concat([held[spk][1], new]) if spk in held else new)
                           for spk, n, mono, tail_n, new in to_seal])
    if to_tail:
        axes: dict[tuple[int, int, int], bytes] = {}
        rows = [{"series_pk": spk, "start": n, "n": len(new.steps), "data": _raw(new, axes)} for spk, n, new in to_tail]
        if defer is not None:
            defer.copy(tails, rows)
            for spk, _, new in to_tail:
                defer.bump(len(new.steps), spk)
            return
        insert_rows(conn, tails, rows)
        bumps: dict[int, list[int]] = {}
        for spk, _, new in to_tail:
            bumps.setdefault(len(new.steps), []).append(spk)
        bump_counts(conn, bumps)


def bump_counts(conn: sa.Connection, bumps: dict[int, list[int]]) -> None:
    """Add points to series' counts: ``{points added: [series pk, ...]}``."""
    if conn.dialect.name != "postgresql":  # the driver's executemany: no statement to build per call
        driver_executemany(conn, "UPDATE series SET n = n + ? WHERE pk = ?",
                           [(k, spk) for k, pks in bumps.items() for spk in pks])
        return
    # one array parameter: no statement to build per size; sent in binary (%b), which cost the
    # server process a third of what the text array did for 6,400 pks (psycopg escapes each item)
    for k, pks in bumps.items():
        conn.exec_driver_sql("UPDATE series SET n = n + %s WHERE pk = ANY(%b)", (k, pks))


def _raw(p: Points, axes: dict[tuple[int, int, int], bytes]) -> bytes:
    """A tail row's data; ``axes`` keeps the encoded axes series of one run share (by array ids)."""
    key = (id(p.steps), id(p.ts), id(p.rt))
    head = axes.get(key)
    if head is None:
        head = axes[key] = (np.ascontiguousarray(p.steps, dtype="<i8").tobytes()
                            + np.ascontiguousarray(p.ts, dtype="<f8").tobytes()
                            + np.ascontiguousarray(p.rt, dtype="<f8").tobytes())
    return head + np.ascontiguousarray(p.values, dtype="<f8").tobytes()


def _unraw(data: bytes, n: int) -> Points:
    steps = np.frombuffer(data, dtype="<i8", count=n).astype(np.int64)
    rest = np.frombuffer(data, dtype="<f8", offset=8 * n, count=3 * n).astype(np.float64)
    return Points(steps, rest[:n], rest[n : 2 * n], rest[2 * n :])


def tails_of(conn: sa.Connection, spks: list[int]) -> dict[int, tuple[int, Points]]:
    """The tails (points not sealed yet) of several series in one query, for ``query(held=)``."""
    return _tail_points(conn, spks)


def _tail_points(conn: sa.Connection, spks: list[int]) -> dict[int, tuple[int, Points]]:
    """The tail of each series that has one: ``{series_pk: (index of its first point, points)}``."""
    parts: dict[int, list[tuple[int, Points]]] = {}
    for i in range(0, len(spks), _IN_BATCH):
        for spk, start, n, data in conn.execute(
                sa.select(tails.c.series_pk, tails.c.start, tails.c.n, tails.c.data)
                .where(tails.c.series_pk.in_(spks[i : i + _IN_BATCH])).order_by(tails.c.series_pk, tails.c.start)):
            parts.setdefault(int(spk), []).append((int(start), _unraw(bytes(data), int(n))))
    return {spk: (p[0][0], Points.concat([x for _, x in p])) for spk, p in parts.items()}


def _append_fresh(members: list[tuple[int, Points]], ins_chunks: list[dict[str, object]],
                  ins_tiers: list[dict[str, object]], upd: list[dict[str, int]]) -> dict[int, tuple[int, int]]:
    """Write new, empty series whose points share one set of rows (the same step, time and runtime
    arrays), as the keys of one run logged together are: the axes are encoded once and the tiers
    computed for all of them as one matrix. The rows are the ones ``append_many``'s general path
    writes for each series alone, byte for byte. Returns ``{series_pk: (n, mono)}``."""
    p0 = members[0][1]
    steps, ts, rt = p0.steps, p0.ts, p0.rt
    n = len(steps)
    mono = _mono_bits(p0)
    vt = np.stack([p.values for _, p in members]).astype(np.float64, copy=False)  # (series, points)
    for i in range(0, n, CHUNK):
        j = min(n, i + CHUNK)
        axes = encode_axes(steps[i:j], ts[i:j], rt[i:j])
        head = {"chunk_no": i // CHUNK, "n": j - i,
                "step_first": int(steps[i]), "step_last": int(steps[j - 1]), "ts_first": float(ts[i]),
                "ts_last": float(ts[j - 1]), "rt_first": float(rt[i]), "rt_last": float(rt[j - 1])}
        for k, (spk, _) in enumerate(members):
            ins_chunks.append({"series_pk": spk, **head, "data": join_points(j - i, axes, encode_values(vt[k, i:j]))})
    if n > BASE_BUCKET:
        m, flags = _point_buckets(steps, ts, rt, vt)
        level = 1
        while True:
            for i in range(0, m.shape[2], TIER_CHUNK):
                nb = min(TIER_CHUNK, m.shape[2] - i)
                for k, (spk, _) in enumerate(members):
                    ins_tiers.append({"series_pk": spk, "level": level, "chunk_no": i // TIER_CHUNK, "n": nb,
                                      "data": Buckets(m[k, :, i : i + nb], flags[k, i : i + nb]).encode()})
            level += 1
            if n <= bucket_size(level):
                break
            m, flags = _merge_rows(m, flags, FANOUT)
    for spk, _ in members:
        upd.append({"u_pk": spk, "u_n": n, "u_mono": mono})
    return {spk: (n, mono) for spk, _ in members}


def _point_buckets(steps: I64, ts: F64, rt: F64, vt: F64) -> tuple[np.ndarray, np.ndarray]:
    """Level-1 buckets of series with shared rows: ``(series, 13, buckets)`` rows as in ``Buckets``,
    and flags; for each series what ``Buckets.from_points(...).merge(point // BASE_BUCKET)`` gives."""
    finite = np.isfinite(vt)
    pflags = np.zeros(vt.shape, dtype=np.uint8)
    if finite.all():
        vmin = vmax = vsum = vt
    else:
        pflags |= np.isnan(vt).astype(np.uint8) * HAS_NAN
        pflags |= (vt == np.inf).astype(np.uint8) * HAS_POSINF
        pflags |= (vt == -np.inf).astype(np.uint8) * HAS_NEGINF
        vmin, vmax, vsum = np.where(finite, vt, np.inf), np.where(finite, vt, -np.inf), np.where(finite, vt, 0.0)
    n = vt.shape[1]
    starts = np.arange(0, n, BASE_BUCKET)
    ends = np.append(starts[1:], n) - 1
    m = np.empty((vt.shape[0], 13, len(starts)), dtype=np.uint64)
    for row, col in ((0, steps[starts]), (1, steps[ends]), (2, ts[starts]), (3, ts[ends]), (4, rt[starts]),
                     (5, rt[ends]), (12, np.diff(np.append(starts, n)).astype(np.int64))):
        m[:, row] = np.ascontiguousarray(col).view(np.uint64)
    m[:, 6] = np.minimum.reduceat(vmin, starts, axis=1).view(np.uint64)
    m[:, 7] = np.maximum.reduceat(vmax, starts, axis=1).view(np.uint64)
    m[:, 8] = vt[:, starts].view(np.uint64)
    m[:, 9] = vt[:, ends].view(np.uint64)
    with np.errstate(over="ignore", invalid="ignore"):
        m[:, 10] = np.add.reduceat(vsum, starts, axis=1).view(np.uint64)
    m[:, 11] = np.add.reduceat(finite.astype(np.int64), starts, axis=1).view(np.uint64)
    return m, np.bitwise_or.reduceat(pflags, starts, axis=1)


def _merge_rows(m: np.ndarray, flags: np.ndarray, ratio: int) -> tuple[np.ndarray, np.ndarray]:
    """``Buckets.merge`` of each series' buckets in groups of ``ratio``, for ``(series, 13, n)`` rows."""
    n = m.shape[2]
    starts = np.arange(0, n, ratio)
    ends = np.append(starts[1:], n) - 1
    out = np.empty((m.shape[0], 13, len(starts)), dtype=np.uint64)
    for row in (0, 2, 4, 8):
        out[:, row] = m[:, row][:, starts]
    for row in (1, 3, 5, 9):
        out[:, row] = m[:, row][:, ends]
    out[:, 6] = np.minimum.reduceat(m[:, 6].view(np.float64), starts, axis=1).view(np.uint64)
    out[:, 7] = np.maximum.reduceat(m[:, 7].view(np.float64), starts, axis=1).view(np.uint64)
    with np.errstate(over="ignore", invalid="ignore"):
        out[:, 10] = np.add.reduceat(m[:, 10].view(np.float64), starts, axis=1).view(np.uint64)
    out[:, 11] = np.add.reduceat(m[:, 11].view(np.int64), starts, axis=1).view(np.uint64)
    out[:, 12] = np.add.reduceat(m[:, 12].view(np.int64), starts, axis=1).view(np.uint64)
    return out, np.bitwise_or.reduceat(flags, starts, axis=1)


# --- querying --------------------------------------------------------------------------------


@dataclass
class Result:
    """A downsampled (or full-resolution) series: one entry per bucket."""

    x: F64
    x_last: F64
    b: Buckets
    total: int  # points of the series inside the x range
    level: int  # 0: built from raw points; l: from tier level l
    full: bool  # every point in range returned as its own bucket


def _groups(lo: int, count: int, max_points: int) -> tuple[int, I64]:
    """Group size k and group ids for items ``lo .. lo+count-1``, aligned on multiples of k."""
    k = max(1, math.ceil(count / max_points))
    while (lo + count - 1) // k - lo // k + 1 > max_points:
        k += 1
    return k, np.arange(lo, lo + count, dtype=np.int64) // k


def _axis_x(b: Buckets, axis: str) -> tuple[F64, F64]:
    if axis == "_step":
        return b.sf.astype(np.float64), b.sl.astype(np.float64)
    if axis == "_timestamp":
        return b.tf, b.tl
    return b.rf, b.rl


def query(
    conn: sa.Connection, spk: int, n: int, mono: int, axis: str, x_range: tuple[float, float] | None,
    max_points: int, x_series: tuple[int, int] | None = None, held: dict[int, tuple[int, Points]] | None = None,
) -> Result:
    """Downsample one series for a chart (see the module docstring).

    ``axis`` is a built-in axis or, with ``x_series=(pk, n)`` of the x key's series, a logged key.
    ``held``: ``tails_of`` a set of series including this one (one query for a chart's runs).
    """
    r = Reader(conn, spk, mono, held)
    if axis in AXES and r.mono & AXES[axis]:
        return _query_ordered(r, n, axis, x_range, max_points)
    return _query_general(r, n, axis, x_range, max_points, x_series)


def _query_ordered(r: Reader, n: int, axis: str, x_range: tuple[float, float] | None, max_points: int) -> Result:
    i0, i1 = 0, n
    if x_range is not None:
        i0 = r.point_index(n, axis, x_range[0], "left")
        i1 = r.point_index(n, axis, x_range[1], "right")
    count = max(0, i1 - i0)
    if count == 0:
        empty = _no_points().buckets()
        return Result(np.empty(0), np.empty(0), empty, 0, 0, True)
    if count <= max_points:
        b = r.points(i0, i1).buckets()
        x, xl = _axis_x(b, axis)
        return Result(x, xl, b, count, 0, True)
    level = 0
    lvl = 1
    while n > bucket_size(lvl):
        size = bucket_size(lvl)
        if (i1 - 1) // size - i0 // size + 1 < max_points:
            break
        level = lvl
        lvl += 1
    if level == 0:
        src = r.points(i0, i1).buckets()
        _, groups = _groups(i0, count, max_points)
    else:
        size = bucket_size(level)
        b0, b1 = i0 // size, (i1 - 1) // size + 1
        src = r.buckets(level, b0, b1)
        _, groups = _groups(b0, b1 - b0, max_points)
    b = src.merge(groups)
    x, xl = _axis_x(b, axis)
    return Result(x, xl, b, count, level, False)


def _query_general(
    r: Reader, n: int, axis: str, x_range: tuple[float, float] | None,
    max_points: int, x_series: tuple[int, int] | None,
) -> Result:
    p = r.points(0, n)
    if axis == "_step":
        x = p.steps.astype(np.float64)
    elif axis == "_timestamp":
        x = p.ts
    elif axis == "_runtime":
        x = p.rt
    else:
        if x_series is None:
            raise ValueError(f"x axis {axis!r} needs its series")
        xp = load_points(r.conn, x_series[0], 0, x_series[1])
        order = np.argsort(xp.steps, kind="stable")
        xs_steps, xs_vals = xp.steps[order], xp.values[order]
        pos = np.searchsorted(xs_steps, p.steps)
        pos_c = np.minimum(pos, max(len(xs_steps) - 1, 0))
        ok = (pos < len(xs_steps)) & (xs_steps[pos_c] == p.steps) if len(xs_steps) else np.zeros(n, bool)
        keep = np.flatnonzero(ok)
        p = Points(p.steps[keep], p.ts[keep], p.rt[keep], p.values[keep])
        x = xs_vals[pos_c[keep]]
    sel = np.isfinite(x)
    if x_range is not None:
        sel &= (x >= x_range[0]) & (x <= x_range[1])
    idx = np.flatnonzero(sel)
    order = idx[np.argsort(x[idx], kind="stable")]
    p = Points(p.steps[order], p.ts[order], p.rt[order], p.values[order])
    x = x[order]
    count = len(order)
    b = p.buckets()
    if count <= max_points:
        return Result(x, x, b, count, 0, True)
    _, groups = _groups(0, count, max_points)
    merged = b.merge(groups)
    starts = np.flatnonzero(np.concatenate(([True], groups[1:] != groups[:-1])))
    ends = np.concatenate((starts[1:], [count])) - 1
    return Result(x[starts], x[ends], merged, count, 0, False)
