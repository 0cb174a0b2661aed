"""Compressed encodings of series points and downsampling buckets.

A chunk of points holds four arrays of equal length ``n``: steps (int64), wall times and
runtimes (float64 seconds) and values (float64). On disk:

- steps: first value then deltas, int64, zlib;
- wall times: microseconds (int64), delta-encoded, byte-shuffled, zlib;
- runtimes: microseconds minus the wall-time offset from the chunk's first point (a residual that
  is almost always constant), delta-encoded, byte-shuffled, zlib;
- values: float64 bit patterns, byte-shuffled, zlib. Values are kept bit for bit, NaN and
  ±inf included.

Times are kept to the microsecond (the run log holds float seconds; a chart never needs more).
Byte shuffling puts the n first bytes together, then the n second bytes, ... which lets zlib see
the slowly changing sign/exponent bytes as runs.

A bucket block (``Buckets``) is encoded column by column the same way.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

_LEVEL = 1  # zlib level: level 1 is ~3x faster than 6 and within 3% of its size on series data
_STORED_BELOW = 2048  # bytes: smaller payloads are zlib streams of stored blocks (level 0)


def _deflate(data: bytes) -> bytes:
    """``data`` as a zlib stream. Below ``_STORED_BELOW`` bytes the stream stores the bytes as they
    are: deflate's set-up costs ~19 µs a call whatever the size, ten times the ~2 µs of a stored
    block, and a few hundred bytes of float values gain almost nothing from it (many short series
    made index building compression-bound). Readers decompress both alike."""
    return zlib.compress(data, 0 if len(data) < _STORED_BELOW else _LEVEL)
_RAW = 1 << 31  # in a tier chunk's bucket count: the planes are stored uncompressed
_RAW_BUCKETS = 32  # tier chunks of fewer buckets than this are not compressed (Buckets.encode)
_HEAD = struct.Struct("<BIIIII")
_VERSION = 1


def _shuffle(a: npt.NDArray[np.generic]) -> bytes:
    width = a.dtype.itemsize
    return np.ascontiguousarray(a.view(np.uint8).reshape(-1, width).T).tobytes()


def _unshuffle(raw: bytes, dtype: type[np.generic], n: int) -> npt.NDArray[np.generic]:
    width = np.dtype(dtype).itemsize
    planes = np.frombuffer(raw, dtype=np.uint8).reshape(width, n)
    return np.ascontiguousarray(planes.T).view(dtype).reshape(n)


def _to_us(t: F64) -> I64:
    return np.round(t * 1e6).astype(np.int64)


def encode_points(steps: I64, ts: F64, rt: F64, values: F64) -> bytes:
    return join_points(len(steps), encode_axes(steps, ts, rt), encode_values(values))


def encode_axes(steps: I64, ts: F64, rt: F64) -> list[bytes]:
    """The steps, wall times and runtimes of a chunk, compressed: shared by every series of a run
    that logged in the same rows."""
    s = np.diff(steps, prepend=np.int64(0)).astype(np.int64)
    ts_us = _to_us(ts)
    rt_us = _to_us(rt)
    resid = rt_us - (ts_us - ts_us[0]) if len(steps) else rt_us
    return [
        zlib.compress(s.tobytes(), _LEVEL),
        zlib.compress(_shuffle(np.diff(ts_us, prepend=np.int64(0))), _LEVEL),
        zlib.compress(_shuffle(np.diff(resid, prepend=np.int64(0))), _LEVEL),
    ]


def encode_values(values: F64) -> bytes:
    return _deflate(_shuffle(np.ascontiguousarray(values, dtype=np.float64)))


def join_points(n: int, axes: list[bytes], values: bytes) -> bytes:
    """A chunk from its compressed parts (``encode_axes``, ``encode_values``)."""
    head = _HEAD.pack(_VERSION, n, *(len(p) for p in axes), len(values))
    return head + b"".join(axes) + values


def decode_points(blob: bytes) -> tuple[I64, F64, F64, F64]:
    version, n, *lengths = _HEAD.unpack_from(blob)
    if version != _VERSION:
        raise ValueError(f"unknown chunk encoding version {version}")
    pos = _HEAD.size
    raw: list[bytes] = []
    for length in lengths:
        raw.append(zlib.decompress(blob[pos : pos + length]))
        pos += length
    steps = np.cumsum(np.frombuffer(raw[0], dtype=np.int64), dtype=np.int64)
    ts_us = np.cumsum(_unshuffle(raw[1], np.int64, n), dtype=np.int64)
    resid = np.cumsum(_unshuffle(raw[2], np.int64, n), dtype=np.int64)
    rt_us = resid + (ts_us - ts_us[0]) if n else resid
    values = _unshuffle(raw[3], np.float64, n).astype(np.float64, copy=False)
    return steps, ts_us / 1e6, rt_us / 1e6, values


# Flags of a bucket: which non-finite values it holds (they are never dropped, only marked).
HAS_NAN, HAS_POSINF, HAS_NEGINF = 1, 2, 4


class Buckets:
    """Consecutive buckets of a series (a single point is a bucket of one).

    ``vmin``/``vmax``/``vsum``/``cnt`` cover the finite values only (``vmin`` is +inf and
    ``vmax`` -inf when there is none); ``npts`` counts every point; ``flags`` marks NaN/±inf.
    ``vfirst``/``vlast`` are the bucket's first and last values as logged (possibly non-finite).
    ``sf``/``sl``, ``tf``/``tl``, ``rf``/``rl``: step, wall time and runtime of the first and last
    point.

    The 13 numeric fields live as rows of one (13, n) matrix of 64-bit patterns, so slicing,
    joining and encoding a block are one numpy operation each, not one per field.
    """

    __slots__ = ("m", "flags")

    def __init__(self, m: npt.NDArray[np.uint64], flags: U8) -> None:
        self.m = m
        self.flags = flags

    @classmethod
    def of(cls, sf: I64, sl: I64, tf: F64, tl: F64, rf: F64, rl: F64, vmin: F64, vmax: F64,
           vfirst: F64, vlast: F64, vsum: F64, cnt: I64, npts: I64, flags: U8) -> Buckets:
        cols = (sf, sl, tf, tl, rf, rl, vmin, vmax, vfirst, vlast, vsum, cnt, npts)
        m = np.stack([np.ascontiguousarray(c, dtype=np.int64 if f in _INT else np.float64).view(np.uint64)
                      for f, c in zip(_FIELDS, cols, strict=True)]) if len(sf) else np.empty((13, 0), np.uint64)
        return cls(m, np.ascontiguousarray(flags, dtype=np.uint8))

    def _i(self, row: int) -> I64:
        out: I64 = self.m[row].view(np.int64)
        return out

    def _f(self, row: int) -> F64:
        out: F64 = self.m[row].view(np.float64)
        return out

    @property
    def sf(self) -> I64:
        return self._i(0)

    @property
    def sl(self) -> I64:
        return self._i(1)

    @property
    def tf(self) -> F64:
        return self._f(2)

    @property
    def tl(self) -> F64:
        return self._f(3)

    @property
    def rf(self) -> F64:
        return self._f(4)

    @property
    def rl(self) -> F64:
        return self._f(5)

    @property
    def vmin(self) -> F64:
        return self._f(6)

    @property
    def vmax(self) -> F64:
        return self._f(7)

    @property
    def vfirst(self) -> F64:
        return self._f(8)

    @property
    def vlast(self) -> F64:
        return self._f(9)

    @property
    def vsum(self) -> F64:
        return self._f(10)

    @property
    def cnt(self) -> I64:
        return self._i(11)

    @property
    def npts(self) -> I64:
        return self._i(12)

    def __len__(self) -> int:
        return int(self.m.shape[1])

    @classmethod
    def from_points(cls, steps: I64, ts: F64, rt: F64, values: F64) -> Buckets:
        finite = np.isfinite(values)
        flags = np.zeros(len(values), dtype=np.uint8)
        if not finite.all():
            flags |= np.isnan(values).astype(np.uint8) * HAS_NAN
            flags |= (values == np.inf).astype(np.uint8) * HAS_POSINF
            flags |= (values == -np.inf).astype(np.uint8) * HAS_NEGINF
            vmin, vmax, vsum = np.where(finite, values, np.inf), np.where(finite, values, -np.inf), \
                np.where(finite, values, 0.0)
        else:
            vmin = vmax = vsum = values
        return cls.of(steps, steps, ts, ts, rt, rt, vmin, vmax, values, values, vsum,
                      finite.astype(np.int64), np.ones(len(values), dtype=np.int64), flags)

    def slice(self, start: int, stop: int) -> Buckets:
        return Buckets(self.m[:, start:stop], self.flags[start:stop])

    @classmethod
    def concat(cls, parts: list[Buckets]) -> Buckets:
        if len(parts) == 1:
            return parts[0]
        return cls(np.concatenate([p.m for p in parts], axis=1), np.concatenate([p.flags for p in parts]))

    def merge(self, groups: I64) -> Buckets:
        """Merge runs of consecutive buckets with equal ``groups`` ids (ids must not decrease)."""
        n = len(groups)
        if n == 0:
            return self
        starts = np.flatnonzero(np.concatenate(([True], groups[1:] != groups[:-1])))
        ends = np.concatenate((starts[1:], [n])) - 1
        m = np.empty((13, len(starts)), dtype=np.uint64)
        m[_FIRST_ROWS] = self.m[_FIRST_ROWS][:, starts]
        m[_LAST_ROWS] = self.m[_LAST_ROWS][:, ends]
        m[6] = np.minimum.reduceat(self.vmin, starts).view(np.uint64)
        m[7] = np.maximum.reduceat(self.vmax, starts).view(np.uint64)
        with np.errstate(over="ignore", invalid="ignore"):  # a sum past the float range is inf
            m[10] = np.add.reduceat(self.vsum, starts).view(np.uint64)
        m[11] = np.add.reduceat(self.cnt, starts).view(np.uint64)
        m[12] = np.add.reduceat(self.npts, starts).view(np.uint64)
        return Buckets(m, np.bitwise_or.reduceat(self.flags, starts))

    def encode(self) -> bytes:
        """The byte planes of the buckets, compressed; a few buckets (the partial last tier chunk
        of most series) are stored as they are, flagged in the count: compressing a few hundred
        bytes costs more than it saves, thousands of times over when many short runs are indexed."""
        n = len(self)
        planes = np.ascontiguousarray(np.ascontiguousarray(self.m).view(np.uint8).reshape(13, n, 8)
                                      .transpose(0, 2, 1))
        if n < _RAW_BUCKETS:
            return struct.pack("<I", n | _RAW) + planes.tobytes() + self.flags.tobytes()
        return struct.pack("<I", n) + _deflate(planes.tobytes() + self.flags.tobytes())

    @classmethod
    def decode(cls, blob: bytes) -> Buckets:
        (n,) = struct.unpack_from("<I", blob)
        if n & _RAW:
            n &= ~_RAW
            raw = bytes(blob[4:])
        else:
            raw = zlib.decompress(blob[4:])
        planes = np.frombuffer(raw, dtype=np.uint8, count=13 * 8 * n).reshape(13, 8, n)
        m = np.ascontiguousarray(planes.transpose(0, 2, 1)).view(np.uint64).reshape(13, n)
        return cls(m, np.frombuffer(raw, dtype=np.uint8, offset=13 * 8 * n, count=n))


_FIELDS = ("sf", "sl", "tf", "tl", "rf", "rl", "vmin", "vmax", "vfirst", "vlast", "vsum", "cnt", "npts")
_INT = {"sf", "sl", "cnt", "npts"}
_FIRST_ROWS = [0, 2, 4, 8]  # sf, tf, rf, vfirst: taken from a group's first bucket
_LAST_ROWS = [1, 3, 5, 9]  # sl, tl, rl, vlast: from its last
