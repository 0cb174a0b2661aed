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
from .schema import chunks, series, tiers

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


def load_points(conn: sa.Connection, spk: int, lo: int, hi: int) -> Points:
    """Points ``lo .. hi-1`` of a series."""
    if hi <= lo:
        return Points(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0))
    c0, c1 = lo // CHUNK, (hi - 1) // CHUNK
    rows = conn.execute(
        sa.select(chunks.c.data).where(chunks.c.series_pk == spk, chunks.c.chunk_no.between(c0, c1))
        .order_by(chunks.c.chunk_no)
    ).all()
    p = Points.concat([Points(*decode_points(r[0])) for r in rows])
    return p.slice(lo - c0 * CHUNK, hi - c0 * CHUNK)


def load_buckets(conn: sa.Connection, spk: int, level: int, lo: int, hi: int) -> Buckets:
    """Buckets ``lo .. hi-1`` of one tier level."""
    c0, c1 = lo // TIER_CHUNK, (hi - 1) // TIER_CHUNK
    rows = conn.execute(
        sa.select(tiers.c.data).where(tiers.c.series_pk == spk, tiers.c.level == level,
                                      tiers.c.chunk_no.between(c0, c1)).order_by(tiers.c.chunk_no)
    ).all()
    b = Buckets.concat([Buckets.decode(r[0]) for r in rows])
    return b.slice(lo - c0 * TIER_CHUNK, hi - c0 * TIER_CHUNK)


# --- appending -------------------------------------------------------------------------------


def append(conn: sa.Connection, spk: int, n0: int, mono: int, new: Points) -> tuple[int, int]:
    """Append points to series ``spk`` (which holds ``n0``); return the new ``(n, mono)``."""
    return append_many(conn, [(spk, n0, mono, new)])[0]


_IN_BATCH = 400


def append_many(conn: sa.Connection, items: list[tuple[int, int, int, Points]]) -> list[tuple[int, int]]:
    """Append points to many series at once: ``(series_pk, n, mono, points)`` each; return the new
    ``(n, mono)`` of each.

    Runs inside the caller's transaction, so a crash leaves either all of it or none of it. The
    partial tails it needs are read with a few bulk queries and every write is one executemany
    per table, so a run with a thousand keys costs a handful of statements per ingest pass.
    """
    # Times are kept to the microsecond (codec); quantize now, so that a chunk rebuilt from its
    # decoded prefix equals the one a single pass would have written.
    quantized: dict[int, F64] = {}  # by id: series of one run share their time arrays, and keep sharing them

    def q(t: F64) -> F64:
        out = quantized.get(id(t))
        if out is None:
            out = quantized[id(t)] = np.round(t * 1e6) / 1e6
        return out

    items = [(spk, n0, mono, Points(p.steps, q(p.ts), q(p.rt), p.values)) for spk, n0, mono, p in items if len(p)]
    last_keys = [(spk, (n0 - 1) // CHUNK) for spk, n0, _, _ in items if n0]
    tier_keys = []
    for spk, n0, _, _ in items:
        level = 1
        while n0 > bucket_size(level):
            first = n0 // bucket_size(level)
            if first % TIER_CHUNK:
                tier_keys.append((spk, level, first // TIER_CHUNK))
            level += 1
    raw_tail: dict[tuple[int, int], tuple[bytes, tuple[int, float, float]]] = {}
    for i in range(0, len(last_keys), _IN_BATCH):
        part = last_keys[i : i + _IN_BATCH]
        for row in conn.execute(sa.select(chunks.c.series_pk, chunks.c.chunk_no, chunks.c.data, chunks.c.step_last,
                                          chunks.c.ts_last, chunks.c.rt_last)
                                .where(sa.tuple_(chunks.c.series_pk, chunks.c.chunk_no).in_(part))):
            raw_tail[(int(row[0]), int(row[1]))] = (bytes(row[2]), (int(row[3]), float(row[4]), float(row[5])))
    tier_tail: dict[tuple[int, int, int], bytes] = {}
    for i in range(0, len(tier_keys), _IN_BATCH):
        part3 = tier_keys[i : i + _IN_BATCH]
        for trow in conn.execute(sa.select(tiers.c.series_pk, tiers.c.level, tiers.c.chunk_no, tiers.c.data)
                                 .where(sa.tuple_(tiers.c.series_pk, tiers.c.level, tiers.c.chunk_no).in_(part3))):
            tier_tail[(int(trow[0]), int(trow[1]), int(trow[2]))] = bytes(trow[3])

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
        del_chunks.append({"d_spk": spk, "d_from": c0})
        for i in range(0, len(full), CHUNK):
            part_p = full.slice(i, i + CHUNK)
            ins_chunks.append({
                "series_pk": spk, "chunk_no": c0 + i // CHUNK, "n": len(part_p),
                "step_first": int(part_p.steps[0]), "step_last": int(part_p.steps[-1]),
                "ts_first": float(part_p.ts[0]), "ts_last": float(part_p.ts[-1]),
                "rt_first": float(part_p.rt[0]), "rt_last": float(part_p.rt[-1]),
                "data": encode_points(part_p.steps, part_p.ts, part_p.rt, part_p.values),
            })
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
                    earlier = load_points(conn, spk, need, child_base).buckets()
                else:
                    earlier = load_buckets(conn, spk, level - 1, need, child_base)
                child, child_base = Buckets.concat([earlier, child]), need
            src = child.slice(need - child_base, len(child))
            made = src.merge(np.arange(need, need + len(src), dtype=np.int64) // ratio)
            t0 = first // TIER_CHUNK
            if first % TIER_CHUNK:
                prefix = Buckets.decode(tier_tail[(spk, level, t0)]).slice(0, first - t0 * TIER_CHUNK)
                made = Buckets.concat([prefix, made])
            del_tiers.append({"d_spk": spk, "d_level": level, "d_from": t0})
            for i in range(0, len(made), TIER_CHUNK):
                ins_tiers.append({"series_pk": spk, "level": level, "chunk_no": t0 + i // TIER_CHUNK,
                                  "n": min(TIER_CHUNK, len(made) - i),
                                  "data": made.slice(i, i + TIER_CHUNK).encode()})
            child, child_base = made, t0 * TIER_CHUNK
            level += 1
        upd.append({"u_pk": spk, "u_n": n1, "u_mono": mono})
        out.append((n1, mono))
    if del_chunks:
        conn.execute(sa.delete(chunks).where(chunks.c.series_pk == sa.bindparam("d_spk"),
                                             chunks.c.chunk_no >= sa.bindparam("d_from")), del_chunks)
    if ins_chunks:
        conn.execute(sa.insert(chunks), ins_chunks)
    if upd:
        conn.execute(sa.update(series).where(series.c.pk == sa.bindparam("u_pk"))
                     .values(n=sa.bindparam("u_n"), mono=sa.bindparam("u_mono")), upd)
    if del_tiers:
        conn.execute(sa.delete(tiers).where(tiers.c.series_pk == sa.bindparam("d_spk"),
                                            tiers.c.level == sa.bindparam("d_level"),
                                            tiers.c.chunk_no >= sa.bindparam("d_from")), del_tiers)
    if ins_tiers:
        conn.execute(sa.insert(tiers), ins_tiers)
    return out


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


def _point_index(conn: sa.Connection, spk: int, n: int, axis: str, x: float, side: str) -> int:
    """Index of the first point whose x is >= x (side left) or > x (side right)."""
    col = chunks.c[_AXIS_COLS[axis][1]]
    cond = col >= x if side == "left" else col > x
    row = conn.execute(
        sa.select(chunks.c.chunk_no, chunks.c.data).where(chunks.c.series_pk == spk, cond)
        .order_by(chunks.c.chunk_no).limit(1)
    ).first()
    if row is None:
        return n
    p = Points(*decode_points(row[1]))
    arr = {"_step": p.steps, "_timestamp": p.ts, "_runtime": p.rt}[axis]
    return int(row[0]) * CHUNK + int(np.searchsorted(arr, x, side=side))  # type: ignore[call-overload]


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
    max_points: int, x_series: tuple[int, int] | None = None,
) -> Result:
    """Downsample one series for a chart (see the module docstring).

    ``axis`` is a built-in axis or, with ``x_series=(pk, n)`` of the x key's series, a logged key.
    """
    if axis in AXES and mono & AXES[axis]:
        return _query_ordered(conn, spk, n, axis, x_range, max_points)
    return _query_general(conn, spk, n, axis, x_range, max_points, x_series)


def _query_ordered(
    conn: sa.Connection, spk: int, n: int, axis: str, x_range: tuple[float, float] | None, max_points: int
) -> Result:
    i0, i1 = 0, n
    if x_range is not None:
        i0 = _point_index(conn, spk, n, axis, x_range[0], "left")
        i1 = _point_index(conn, spk, n, axis, x_range[1], "right")
    count = max(0, i1 - i0)
    if count == 0:
        empty = Points(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0)).buckets()
        return Result(np.empty(0), np.empty(0), empty, 0, 0, True)
    if count <= max_points:
        b = load_points(conn, spk, i0, i1).buckets()
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
        src = load_points(conn, spk, i0, i1).buckets()
        _, groups = _groups(i0, count, max_points)
    else:
        size = bucket_size(level)
        b0, b1 = i0 // size, (i1 - 1) // size + 1
        src = load_buckets(conn, spk, level, b0, b1)
        _, groups = _groups(b0, b1 - b0, max_points)
    b = src.merge(groups)
    x, xl = _axis_x(b, axis)
    return Result(x, xl, b, count, level, False)


def _query_general(
    conn: sa.Connection, spk: int, n: int, axis: str, x_range: tuple[float, float] | None,
    max_points: int, x_series: tuple[int, int] | None,
) -> Result:
    p = load_points(conn, spk, 0, n)
    if axis == "_step":
        x = p.steps.astype(np.float64)
    elif axis == "_timestamp":
        x = p.ts
    elif axis == "_runtime":
        x = p.rt
    else:
        if x_series is None:
            raise ValueError(f"x axis {axis!r} needs its series")
        xp = load_points(conn, x_series[0], 0, x_series[1])
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
