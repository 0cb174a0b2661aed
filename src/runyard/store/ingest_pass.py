"""Reading one transaction's worth of run-log records for the index (``store/ingest.py``).

``_Pass`` decodes the records from a cursor on and applies them to the run's ``RunState`` and to a
``_Batch``: the rows, points, media references, histograms, console output and artifact events
that ingest then writes in one transaction. Runs of equal-length frames whose payloads match a
``RowTemplate`` (rows of numbers of one layout) are decoded in bulk; every other record on its own
(``apply_record``). Both give the same state and the same points.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

from ..log.framing import HEADER_SIZE, FrameRuns
from ..log.records import Kind
from ..log.rowblock import RowsBlock, RowTemplate, decode_rows, py_value, template_of
from ..log.state import RunState, value_kind
from .artifact_index import artifact_event_row
from .jsonutil import dumps

BATCH_POINTS = 2_000_000  # values per transaction (bounds memory and the work a kill can lose)
BATCH_RECORDS = 500_000
_ROW = int(Kind.ROW)
_ROWS = int(Kind.ROWS)
_NUM = frozenset({float, int})


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

    def add_number(self, key: str, v: float, row: int) -> None:
        buf = self.series.get(key)
        if buf is None:
            buf = self.series[key] = _Series()
        buf.idx.append(row)
        buf.vals.append(v)
        self.points += 1

    def add_value(self, key: str, v: Any, row: int, offset: int, step: int, kinds: dict[str, list[str]],
                  nested: bool) -> None:
        t = type(v)
        if t is float or t is int:
            self.add_number(key, v, row)
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


def _new_row(state: RunState, record: list[Any], batch: _Batch, what: str) -> tuple[int, dict[str, Any], int]:
    """Check a ROW or SYSTEM record ``[kind, step, time, runtime, data]``, apply it to the state and
    open its row in the batch; returns the step, the data and the row number."""
    _, step, ts, rt, data = record
    if not isinstance(data, dict) or type(step) is not int or type(ts) not in _NUM or type(rt) not in _NUM:
        raise ValueError(f"malformed {what} record")
    state.apply(record)
    row = batch.nrows
    batch.steps.append(step)
    batch.ts.append(ts)
    batch.rt.append(rt)
    return step, data, row


def apply_record(state: RunState, record: list[Any], off: int, batch: _Batch,
       kinds: dict[str, list[str]]) -> None:
    kind = record[0]
    if kind == Kind.ROW:
        step, data, row = _new_row(state, record, batch, "ROW")
        add, number = batch.add_value, batch.add_number
        for key, v in data.items():
            t = type(v)
            if t is float or t is int:  # the common case
                number(key, v, row)
            else:
                add(key, v, row, off, step, kinds, False)
    elif kind == Kind.SYSTEM:  # its own stream: sample number as step, keyed by wall time
        no, data, row = _new_row(state, record, batch, "SYSTEM")
        for key, v in data.items():
            if type(v) is float or type(v) is int:
                batch.add_value(key, v, row, off, no, kinds, False)
    elif kind == Kind.OUTPUT:
        state.apply(record)
        text = record[3]
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        # NUL characters a console prints are kept (schema.AnyText escapes them on PostgreSQL)
        batch.output.append({"offset": off, "ts": float(record[1]), "stream": int(record[2]),
                             "text": str(text)})
    elif kind == Kind.ARTIFACT:
        event = artifact_event_row(record, off)
        if event is not None:
            batch.artifacts.append(event)
    else:
        state.apply(record)


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

    def __init__(self, state: RunState, batch: _Batch, kinds: dict[str, list[str]], flags: dict[str, Any],
                 max_points: int = BATCH_POINTS, max_records: int = BATCH_RECORDS,
                 templates: dict[int, list[RowTemplate]] | None = None) -> None:
        self.max_points = max_points
        self.max_records = max_records
        self.state = state
        self.batch = batch
        self.kinds = kinds
        self.flags = flags
        # layouts learnt so far, by payload length; ingest shares them between the runs of a pass
        # (runs logged by one script share their layouts, and learning one costs ~5 ms at 300 keys)
        self.templates: dict[int, list[RowTemplate]] = {} if templates is None else templates

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
        if batch.points >= self.max_points or batch.records >= self.max_records:
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
            apply_record(self.state, record, off, batch, self.kinds)
        except Exception as exc:  # a record we cannot interpret: damage from here on
            self.flags["corrupt"] = {"offset": off, "error": f"{type(exc).__name__}: {exc}"}
            return off, False
        batch.records += 1
        return None

    def rows_block(self, block: RowsBlock, off: int) -> None:
        """Apply a ROWS record (rows of floats, already columnar): its first row on its own when
        its keys are new (as ``one`` does for a ROW), the rest in bulk."""
        n = len(block.steps)
        first = 0
        batch = self.batch
        if n and not self.state.numbers_ready(block.keys):
            step, ts, rt, data = block.row(0)
            apply_record(self.state, [Kind.ROW, step, ts, rt, data], off, batch, self.kinds)
            batch.records += 1
            first = 1
        if n <= first:
            return
        values = block.values[first:]
        index = {key: j for j, key in enumerate(block.keys)}
        self.state.apply_number_rows(n - first, int(block.steps[-1]), float(block.ts[-1]), float(block.rt[-1]),
                                     dict(zip(block.keys, values[-1].tolist(), strict=True)),
                                     lambda key: (values[:, index[key]], None))
        base_row = batch.nrows
        batch.add_rows(block.steps[first:], block.ts[first:], block.rt[first:])
        batch.blocks.setdefault(tuple(block.keys), []).append((np.arange(base_row, base_row + n - first), values))
        batch.points += len(block.keys) * (n - first)
        batch.records += n - first

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
            end = i + min(j - i, max(0, self.max_records - self.batch.records),
                          int(np.searchsorted(before, self.max_points, side="left")))
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
