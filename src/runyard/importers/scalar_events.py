"""Decoding the scalar events of a TensorBoard event file all at once, with numpy.

Why this is hand-written: a scalar event is a protobuf ``Event`` of about 45 bytes, and parsing a
million of them with the protobuf classes costs about a microsecond each in Python before any
value is used (``benchmarks/import.py`` times this decoder against that path and against
TensorBoard's own reader on one file). Nearly every scalar event a writer produces has one layout
(field order as protobuf serialises it)::

    09 <wall_time f64>  [10 <step varint>]  2a <len>  0a <len>  0a <len> <tag>  15 <value f32>

``decode`` checks every byte of that layout for every record at once, reads the numbers as
columns, and recognises tags by hashing their bytes and then comparing each record's tag with the
first record of its hash, byte for byte. Any record that differs in the slightest (another field,
an event with metadata, a tensor, a long tag, a hash that collides) is left to the protobuf path,
so what this decoder returns is exactly what the protobuf classes would read.

It also checks each decoded record's checksum: records of one tag and one step width differ only
in the bytes of their wall time, step and value, and CRC is affine, so a record's checksum is the
checksum of the first record of its class xor the contributions of the bytes where they differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from .crc32c import crc32c_many, masked, tables
from .tfrecord import RecordError

_MIN, _MAX = 20, 127  # payload sizes of the layout (one-byte lengths)
_TAG_WIDTH = 8  # tags are compared as 64-bit words


@dataclass
class Scalars:
    """Decoded scalar events: ``record[i]`` is the index of the event among the file's records."""

    record: npt.NDArray[np.int64]
    step: npt.NDArray[np.int64]
    wall: npt.NDArray[np.float64]
    value: npt.NDArray[np.float64]
    tag: npt.NDArray[np.int64]  # index into ``tags``
    tags: list[str]

    def take(self, index: npt.NDArray[np.int64]) -> Scalars:
        """These events at ``index``, in that order."""
        return Scalars(self.record[index], self.step[index], self.wall[index], self.value[index], self.tag[index],
                       self.tags)

    @staticmethod
    def concat(parts: list[Scalars], tags: list[str]) -> Scalars:
        """The events of ``parts`` one after the other; their ``tag`` indices must be into ``tags``."""
        if not parts:
            none = _none()
            none.tags = tags
            return none
        return Scalars(np.concatenate([p.record for p in parts]), np.concatenate([p.step for p in parts]),
                       np.concatenate([p.wall for p in parts]), np.concatenate([p.value for p in parts]),
                       np.concatenate([p.tag for p in parts]), tags)


def _rows(buf: npt.NDArray[np.uint8], pos: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.uint8]:
    """``buf[p : p + width]`` for every ``p``, as an ``(n, width)`` array; bytes past the end of
    ``buf`` read as zero (the caller's checks reject records that would need them)."""
    base = max(len(buf) - width, 0)
    tail = np.concatenate([buf[base:], np.zeros(2 * width, np.uint8)])
    out = sliding_window_view(buf, width)[np.minimum(pos, base)] if len(buf) >= width else \
        np.zeros((len(pos), width), np.uint8)
    late = np.flatnonzero(pos >= base)
    if len(late):
        out[late] = sliding_window_view(tail, width)[np.minimum(pos[late] - base, len(tail) - width)]
    return out


def _varint(buf: npt.NDArray[np.uint8], pos: npt.NDArray[np.int64], present: npt.NDArray[np.bool_]
            ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The varint at each ``pos`` where ``present``: its value, its width, and whether it is valid
    (at most 9 bytes, so that it fits an int64 step)."""
    value = np.zeros(len(pos), np.uint64)
    width = np.zeros(len(pos), np.int64)
    going = present.copy()
    last = len(buf) - 1
    for k in range(9):
        if not going.any():
            return value.astype(np.int64), width, present & (value < 2**63)
        byte = buf[np.minimum(pos + k, last)]
        value |= np.where(going, (byte & 0x7F).astype(np.uint64) << np.uint64(7 * k), np.uint64(0))
        width += going
        going &= byte >= 0x80
    return value.astype(np.int64), width, present & ~going & (value < 2**63)


def decode(buf: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
           ) -> tuple[Scalars, npt.NDArray[np.bool_]]:
    """The scalar events among the records (payload ``starts``/``lengths``), and a mask of the
    records left for the protobuf path. ``RecordError`` if a decoded record's checksum is wrong."""
    n_all = len(starts)
    rest = np.ones(n_all, np.bool_)
    fit = np.flatnonzero((lengths >= _MIN) & (lengths <= _MAX))
    s, n = starts[fit], lengths[fit]
    end = s + n
    last = len(buf) - 1

    def at(p: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
        return buf[np.minimum(p, last)]

    ok = at(s) == 0x09
    has_step = at(s + 9) == 0x10
    step, vlen, vok = _varint(buf, s + 10, ok & has_step)
    ok &= ~has_step | vok
    p = np.where(has_step, s + 10 + vlen, s + 9)
    ok &= (at(p) == 0x2A) & (p + 2 + at(p + 1) == end)  # the summary ends the event
    p += 2
    ok &= (at(p) == 0x0A) & (p + 2 + at(p + 1) == end)  # its one value ends the summary
    p += 2
    taglen = at(p + 1).astype(np.int64)
    ok &= (at(p) == 0x0A) & (taglen < 128)
    tag_at = p + 2
    p = tag_at + taglen
    ok &= (at(p) == 0x15) & (p + 5 == end)  # simple_value, and nothing after it
    keep = np.flatnonzero(ok)
    if len(keep) == 0:
        return _none(), rest
    fit, s, n, step, vlen, tag_at, taglen = (a[keep] for a in (fit, s, n, step, vlen, tag_at, taglen))
    has_step = has_step[keep]

    # tags: hash the zero-padded bytes, then compare each with its class's first record
    width = max(_TAG_WIDTH, -(-int(taglen.max(initial=0)) // _TAG_WIDTH) * _TAG_WIDTH)
    raw = _rows(buf, tag_at, width)
    raw[np.arange(width)[None, :] >= taglen[:, None]] = 0
    words = raw.view("<u8")
    mult = np.array([0x9E3779B97F4A7C15 * (2 * k + 1) % 2**64 for k in range(words.shape[1])], np.uint64)
    with np.errstate(over="ignore"):
        key = (words * mult).sum(axis=1, dtype=np.uint64) + taglen.astype(np.uint64)
        key = key * np.uint64(16) + np.where(has_step, vlen, 0).astype(np.uint64)  # the class: tag, step width
    _, first, cls = np.unique(key, return_index=True, return_inverse=True)
    cls = cls.reshape(-1)
    same = (words == words[first[cls]]).all(axis=1)
    if not same.all():  # a hash collision: those records take the protobuf path
        good = np.flatnonzero(same)
        fit, s, n, step, vlen, tag_at, taglen, cls = (a[good] for a in (fit, s, n, step, vlen, tag_at, taglen, cls))
        has_step, words = has_step[good], words[good]
        _, first, cls = np.unique(key[good], return_index=True, return_inverse=True)
        cls = cls.reshape(-1)

    wall_b = _rows(buf, s + 1, 8)
    value_b = _rows(buf, s + n - 4, 4)
    _check(buf, s, n, wall_b, value_b, vlen, has_step, first, cls)

    tag_bytes = words[first].view(np.uint8).reshape(len(first), -1)
    names = [bytes(row[:length]).decode("utf-8", "replace")
             for row, length in zip(tag_bytes, taglen[first].tolist(), strict=True)]
    tag_ids = {name: i for i, name in enumerate(dict.fromkeys(names))}
    tag_of_class = np.array([tag_ids[name] for name in names], np.int64)
    rest[fit] = False
    return Scalars(record=fit, step=np.where(has_step, step, 0), wall=wall_b.view("<f8").reshape(-1).copy(),
                   value=value_b.view("<f4").reshape(-1).astype(np.float64), tag=tag_of_class[cls],
                   tags=list(tag_ids)), rest


def _none() -> Scalars:
    empty = np.zeros(0, np.int64)
    return Scalars(empty, empty, np.zeros(0), np.zeros(0), empty, [])


def _check(buf: npt.NDArray[np.uint8], s: npt.NDArray[np.int64], n: npt.NDArray[np.int64],
           wall_b: npt.NDArray[np.uint8], value_b: npt.NDArray[np.uint8], vlen: npt.NDArray[np.int64],
           has_step: npt.NDArray[np.bool_], first: npt.NDArray[np.int64], cls: npt.NDArray[np.int64]) -> None:
    """Every record's payload checksum, from its class's first record (see the module docstring)."""
    if len(s) == 0:
        return
    table, _ = tables(_MAX)
    flat = table.reshape(-1)
    rep = first[cls]
    crc = crc32c_many(buf, s[first], n[first])[cls]
    for k in range(8):  # wall time bytes, at payload offset 1 + k
        crc ^= flat[(n - 2 - k) * 256 + (wall_b[:, k] ^ wall_b[rep, k])]
    for k in range(4):  # value bytes, the last four
        crc ^= table[3 - k][value_b[:, k] ^ value_b[rep, k]]
    width = int(vlen[has_step].max(initial=0))
    if width:
        step_b = _rows(buf, s + 10, width)
        for k in range(width):  # step bytes, at payload offset 10 + k, within the varint
            diff = np.where(has_step & (k < vlen), step_b[:, k] ^ step_b[rep, k], 0)
            crc ^= flat[np.maximum(n - 11 - k, 0) * 256 + diff]
    got = _rows(buf, s + n, 4).view("<u4").reshape(-1)
    bad = np.flatnonzero(masked(crc) != got)
    if len(bad):
        raise RecordError(f"record at offset {int(s[bad[0]]) - 12} has a bad data checksum")
