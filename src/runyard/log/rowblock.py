"""Decoding many ROW records of numbers at once (the bulk path of readers such as the index).

Rows logged in a loop usually share one byte layout: the same keys in the same order, every value
a float64, the step a 4-byte integer. Such payloads differ only in the bytes of their numbers. A
``RowTemplate`` is that layout, learnt from one payload: which bytes must be equal (array and map
headers, the record kind, the keys, the type tag of each number) and where each number sits.
``match`` tells, with a few numpy comparisons over a 2-D block of payloads (one per row of the
block), which payloads have exactly that layout; ``extract`` reads their numbers as columns.

A payload that matches decodes, by construction, to what ``records.decode`` returns for it:
``[3, step, timestamp, runtime, {key: number, ...}]`` with the same keys, values and Python types
(msgpack integers are ``int``, floats ``float``). Everything else (other kinds, strings, bools,
nested values, 64-bit integers, a key repeated in a map) has no template and is decoded one
record at a time as before.

The writer stores consecutive rows of floats under the same keys as one ROWS record, already
columnar (``rows_record`` / ``decode_rows``): the step, time and runtime of each row and a
(rows x keys) matrix of float64, as little-endian bytes. ``expand_rows`` gives back the rows
``records.decode`` would give for the equivalent ROW records.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .records import Kind

# msgpack tags of numbers: tag -> (payload bytes, big-endian dtype, is an integer)
_TAGGED: dict[int, tuple[int, str, bool]] = {
    0xCA: (4, ">f4", False),
    0xCB: (8, ">f8", False),
    0xCC: (1, ">u1", True),
    0xCD: (2, ">u2", True),
    0xCE: (4, ">u4", True),
    0xD0: (1, ">i1", True),
    0xD1: (2, ">i2", True),
    0xD2: (4, ">i4", True),
    0xD3: (8, ">i8", True),
}
_POSFIX, _NEGFIX = "posfix", "negfix"


@dataclass(frozen=True)
class Field:
    """One number in a payload: ``pos`` of its first byte (the tag, or the value of a fixint)."""

    pos: int
    kind: str  # a big-endian dtype for tagged numbers, or _POSFIX / _NEGFIX
    is_int: bool

    def column(self, block: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
        """This number for every payload (row) of ``block``, as int64 or float64."""
        if self.kind == _POSFIX:
            return block[:, self.pos].astype(np.int64)
        if self.kind == _NEGFIX:
            return block[:, self.pos].view(np.int8).astype(np.int64)
        dt = np.dtype(self.kind)
        raw = np.ascontiguousarray(block[:, self.pos + 1 : self.pos + 1 + dt.itemsize])
        return raw.view(dt).reshape(len(block)).astype(np.int64 if self.is_int else np.float64)


@dataclass
class RowTemplate:
    """The byte layout shared by ROW payloads of one shape (see the module docstring)."""

    length: int
    keys: tuple[str, ...]
    fixed_pos: npt.NDArray[np.intp]
    fixed_val: npt.NDArray[np.uint8]
    step: Field
    ts: Field
    rt: Field
    values: tuple[Field, ...]
    # which values are float64 and the byte positions of all of them, row-major (``columns``)
    _f8: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]] | None = field(default=None, init=False, repr=False,
                                                                          compare=False)

    def __post_init__(self) -> None:
        cols = np.array([j for j, f in enumerate(self.values) if f.kind == ">f8"], np.intp)
        if len(cols):
            pos = np.array([self.values[j].pos + 1 for j in cols], np.intp)
            self._f8 = (cols, (pos[:, None] + np.arange(8)).reshape(-1))

    def match(self, block: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
        """Which payloads (rows of ``block``, each ``length`` bytes) have this layout."""
        ok: npt.NDArray[np.bool_] = (block[:, self.fixed_pos] == self.fixed_val).all(axis=1)
        for f in (self.step, self.ts, self.rt, *self.values):
            if f.kind == _POSFIX:
                ok &= block[:, f.pos] < 0x80
            elif f.kind == _NEGFIX:
                ok &= block[:, f.pos] >= 0xE0
        return ok

    def columns(self, block: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.int64], npt.NDArray[Any],
                                                               npt.NDArray[Any], npt.NDArray[np.float64]]:
        """Steps, timestamps, runtimes and a (rows, keys) float64 matrix of the values."""
        values = np.empty((len(block), len(self.values)), np.float64)
        f8 = self._f8
        if f8 is not None:  # the float64 values (most often all of them) in one gather
            cols, gather = f8
            raw = np.ascontiguousarray(block[:, gather]).view(">f8").reshape(len(block), len(cols))
            values[:, cols] = raw
        for j, f in enumerate(self.values):
            if f.kind != ">f8":
                values[:, j] = f.column(block)
        return self.step.column(block), self.ts.column(block), self.rt.column(block), values


def _field(payload: bytes, pos: int) -> tuple[Field, int] | None:
    tag = payload[pos]
    if tag < 0x80:
        return Field(pos, _POSFIX, True), pos + 1
    if tag >= 0xE0:
        return Field(pos, _NEGFIX, True), pos + 1
    spec = _TAGGED.get(tag)
    if spec is None:
        return None
    width, kind, is_int = spec
    return Field(pos, kind, is_int), pos + 1 + width


def _key(payload: bytes, pos: int) -> tuple[str, int] | None:
    tag = payload[pos]
    if 0xA0 <= tag <= 0xBF:
        n, pos = tag & 0x1F, pos + 1
    elif tag == 0xD9:
        n, pos = payload[pos + 1], pos + 2
    elif tag == 0xDA:
        n, pos = struct.unpack_from(">H", payload, pos + 1)[0], pos + 3
    else:
        return None
    if pos + n > len(payload):
        return None
    try:
        return payload[pos : pos + n].decode("utf-8"), pos + n
    except UnicodeDecodeError:
        return None


def template_of(payload: bytes) -> RowTemplate | None:
    """The layout of a ROW payload of numbers under string keys, or None for any other payload."""
    try:
        return _template_of(payload)
    except (IndexError, struct.error):
        return None


def _template_of(payload: bytes) -> RowTemplate | None:
    if len(payload) < 6 or payload[0] != 0x95 or payload[1] != int(Kind.ROW):
        return None
    variable: list[tuple[int, int]] = []  # byte ranges holding numbers
    fields: list[Field] = []
    pos = 2
    for i in range(3):
        got = _field(payload, pos)
        if got is None:
            return None
        f, nxt = got
        if i == 0 and not f.is_int:
            return None  # a step is an integer
        fields.append(f)
        variable.append((f.pos, nxt) if f.kind in (_POSFIX, _NEGFIX) else (f.pos + 1, nxt))
        pos = nxt
    tag = payload[pos]
    if 0x80 <= tag <= 0x8F:
        n, pos = tag & 0x0F, pos + 1
    elif tag == 0xDE:
        n, pos = struct.unpack_from(">H", payload, pos + 1)[0], pos + 3
    else:
        return None
    keys: list[str] = []
    for _ in range(n):
        got_key = _key(payload, pos)
        if got_key is None:
            return None
        key, pos = got_key
        got = _field(payload, pos)
        if got is None:
            return None
        f, nxt = got
        if f.kind == ">i8":
            return None  # a value is read through float64: 64-bit integers go the slow way
        keys.append(key)
        fields.append(f)
        variable.append((f.pos, nxt) if f.kind in (_POSFIX, _NEGFIX) else (f.pos + 1, nxt))
        pos = nxt
    if pos != len(payload) or len(set(keys)) != len(keys):
        return None
    fixed = np.ones(len(payload), bool)
    for a, b in variable:
        fixed[a:b] = False
    fixed_pos = np.flatnonzero(fixed)
    raw = np.frombuffer(payload, np.uint8)
    return RowTemplate(len(payload), tuple(keys), fixed_pos, raw[fixed_pos].copy(), fields[0], fields[1],
                       fields[2], tuple(fields[3:]))


@dataclass
class RowsBlock:
    """A decoded ROWS record: ``values[i, j]`` is key ``keys[j]`` in row ``i``."""

    keys: list[str]
    steps: npt.NDArray[np.int64]
    ts: npt.NDArray[np.float64]
    rt: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]

    def row(self, i: int) -> tuple[int, float, float, dict[str, Any]]:
        return (int(self.steps[i]), float(self.ts[i]), float(self.rt[i]),
                dict(zip(self.keys, self.values[i].tolist(), strict=True)))


def rows_record(block: RowsBlock) -> list[Any]:
    """The ROWS record of a block (``decode_rows`` gives it back)."""
    return [Kind.ROWS, block.keys, _le_bytes(block.steps, "<i8"), _le_bytes(block.ts, "<f8"),
            _le_bytes(block.rt, "<f8"), _le_bytes(block.values, "<f8")]


def _le_bytes(array: np.ndarray[Any, Any], dtype: str) -> memoryview:
    """The array's bytes in the log's byte order, as a view msgpack packs as they are: no copy
    when the array is already contiguous and in that order (the writer's blocks always are)."""
    return np.ascontiguousarray(array, dtype=dtype).data.cast("B")


def decode_rows(record: list[Any]) -> RowsBlock:
    """Decode a ROWS record; ``ValueError`` when its parts do not agree."""
    _, keys, steps, ts, rt, values = record
    st = np.frombuffer(steps, "<i8").astype(np.int64)
    n, k = len(st), len(keys)
    t = np.frombuffer(ts, "<f8").astype(np.float64)
    r = np.frombuffer(rt, "<f8").astype(np.float64)
    v = np.frombuffer(values, "<f8").astype(np.float64)
    if len(t) != n or len(r) != n or len(v) != n * k or not all(type(key) is str for key in keys):
        raise ValueError("malformed ROWS record")
    return RowsBlock(list(keys), st, t, r, v.reshape(n, k))


def expand_rows(record: list[Any]) -> list[tuple[int, float, float, dict[str, Any]]]:
    """``(step, timestamp, runtime, row)`` of each row of a ROWS record."""
    block = decode_rows(record)
    return [block.row(i) for i in range(len(block.steps))]


def py_value(v: Any, is_int: bool) -> Any:
    """A number read from a column, as the Python object msgpack would have decoded."""
    return int(v) if is_int else float(v)
