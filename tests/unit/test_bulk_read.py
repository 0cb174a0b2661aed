"""The bulk read path equals the one-record-at-a-time path: frames (``read_frame_runs`` against
``read_frames``), ROW payloads (``RowTemplate`` against msgpack) and the derived state
(``RunState.apply_number_rows`` against ``apply_row`` on each row)."""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runyard.log.framing import MAGIC, ScanResult, frame, read_frame_runs, read_frames
from runyard.log.records import encode
from runyard.log.rowblock import py_value, template_of
from runyard.log.state import RunState
from runyard.log.summary import MetricDef


def both(path: Path, start: int = 0) -> None:
    """Assert both readers see the same frames and stop at the same place."""
    r1, r2 = ScanResult(0, 0), ScanResult(0, 0)
    one = list(read_frames(path, start, r1))
    bulk: list[tuple[int, bytes]] = []
    for blk in read_frame_runs(path, start, r2):
        for pos, length, count in blk.runs:
            for i in range(count):
                p = pos + i * (length + 8)
                assert struct.unpack_from("<I", blk.data, p)[0] == length
                bulk.append((blk.base + p, blk.data[p + 8 : p + 8 + length]))
    assert bulk == one
    assert (r2.valid_end, r2.torn_bytes) == (r1.valid_end, r1.torn_bytes)


sizes = st.lists(st.tuples(st.integers(0, 300), st.integers(1, 80)), min_size=0, max_size=6)


@settings(max_examples=150, deadline=None)
@given(runs=sizes, cut=st.integers(min_value=0), flip=st.integers(min_value=0), damage=st.sampled_from(["none", "cut", "flip"]))
def test_frame_runs_equal_read_frames(tmp_path_factory: pytest.TempPathFactory, runs: list[tuple[int, int]], cut: int,
                                      flip: int, damage: str) -> None:
    rng = np.random.default_rng(len(runs))
    items = [rng.integers(0, 256, size, dtype=np.uint8).tobytes() for size, n in runs for _ in range(n)]
    data = bytearray(MAGIC + b"".join(frame(p) for p in items))
    if damage == "cut":
        data = data[: len(MAGIC) + cut % (len(data) - len(MAGIC) + 1)]
    elif damage == "flip" and len(data) > len(MAGIC):
        data[len(MAGIC) + flip % (len(data) - len(MAGIC))] ^= 0x5A
    path = tmp_path_factory.mktemp("log") / "run.rylog"
    path.write_bytes(bytes(data))
    both(path)
    offsets = [o for o, _ in read_frames(path)]
    if offsets:
        both(path, offsets[len(offsets) // 2])


def test_frame_runs_across_chunks_and_long_frames(tmp_path: Path) -> None:
    items = [b"x" * 30] * 300_000 + [b"y" * 1000] * 50 + [b"z" * 5_000_000] + [b"w" * 41] * 1000
    path = tmp_path / "run.rylog"
    path.write_bytes(MAGIC + b"".join(frame(p) for p in items))
    both(path)
    data = bytearray(path.read_bytes())
    data[len(MAGIC) + 38 * 200_000 + 20] ^= 1  # a bad checksum deep inside a long run
    path.write_bytes(bytes(data))
    both(path)


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**31), 2**32 - 1),
    st.integers(-(2**63), 2**64 - 1),
    st.sampled_from([0, -1, 127, 128, -32, -33, 255, 256, 65535, 65536, 0.0, -0.0]),
)
others = st.one_of(st.booleans(), st.none(), st.text(max_size=3), st.lists(st.integers(), max_size=2))
keys = st.text(min_size=0, max_size=40)


@settings(max_examples=400, deadline=None)
@given(step=st.one_of(st.integers(-(2**63), 2**64 - 1), st.sampled_from([0, 5, 200, 70000])), ts=numbers, rt=numbers,
       data=st.dictionaries(keys, st.one_of(numbers, others), max_size=20))
def test_a_template_decodes_as_msgpack_does(step: int, ts: Any, rt: Any, data: dict[str, Any]) -> None:
    payload = encode([3, step, ts, rt, data])
    t = template_of(payload)
    expected = msgpack.unpackb(payload, raw=False, strict_map_key=False)
    if t is None:
        return
    block = np.frombuffer(payload, np.uint8)[None, :]
    assert t.match(block).all()
    steps, tss, rts, values = t.columns(block)
    got = [3, int(steps[0]), py_value(tss[0], t.ts.is_int), py_value(rts[0], t.rt.is_int),
           {k: py_value(values[0, j], f.is_int) for j, (k, f) in enumerate(zip(t.keys, t.values, strict=True))}]
    assert _typed(got) == _typed(expected)
    # a payload of another layout of the same length never matches
    for other in ([3, step, ts, rt, {**data, "k": "s"}], [3, step, ts, rt, {}], [2, step, ts, rt, data]):
        p = encode(other)
        if len(p) == len(payload) and p != payload:
            ok = t.match(np.frombuffer(p, np.uint8)[None, :])[0]
            assert not ok or _typed(msgpack.unpackb(p, raw=False, strict_map_key=False))[4].keys() == _typed(got)[4].keys()


def _typed(v: Any) -> Any:
    if isinstance(v, float):
        return ("float", struct.pack("<d", v))
    if isinstance(v, list):
        return [_typed(x) for x in v]
    if isinstance(v, dict):
        return {k: _typed(x) for k, x in v.items()}
    return (type(v).__name__, v)


def test_a_template_rejects_what_it_cannot_read() -> None:
    assert template_of(encode([3, 1, 1.0, 1.0, {"a": True}])) is None
    assert template_of(encode([3, 1, 1.0, 1.0, {"a": "x"}])) is None
    assert template_of(encode([3, 1, 1.0, 1.0, {"a": 2**40}])) is None  # 64-bit ints go the slow way
    assert template_of(encode([3, 1.5, 1.0, 1.0, {"a": 1}])) is None
    assert template_of(encode([5, 1.0, 1, "text"])) is None
    assert template_of(b"\x95\x03\x01\xcb" + b"\0" * 8 + b"\xcb" + b"\0" * 8 + b"\x82\xa1a\x01\xa1a\x02") is None  # a key twice
    assert template_of(b"\x95\x03\x01\x01\x01\x81\xa2\xff\xfe\x01") is None  # a key that is not UTF-8
    t = template_of(encode([3, 300, 1.5, 2.5, {"a": 1.0, "b": 7}]))
    assert t is not None and t.keys == ("a", "b")
    same = np.frombuffer(encode([3, 301, 9.5, 1e9, {"a": -3.0, "b": 9}]), np.uint8)
    other = np.frombuffer(encode([3, 301, 9.5, 1e9, {"a": -3.0, "c": 9}]), np.uint8)
    assert t.match(np.stack([same, other])).tolist() == [True, False]


def _rows(rng: np.random.Generator, n: int, key_sets: list[list[str]]) -> list[dict[str, Any]]:
    special = [math.nan, 0.0, -0.0, math.inf, -math.inf, 1.0, 1, 0, -5]
    rows = []
    for _ in range(n):
        row: dict[str, Any] = {}
        for k in key_sets[int(rng.integers(len(key_sets)))]:
            c = rng.random()
            row[k] = special[int(rng.integers(len(special)))] if c < 0.3 else (int(rng.integers(-9, 9)) if c < 0.5
                                                                              else float(rng.normal()))
        rows.append(row)
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_apply_number_rows_equals_apply_row_on_each(seed: int) -> None:
    rng = np.random.default_rng(seed)
    key_sets = [["a", "b"], ["b", "c"], ["a"]]
    first = {"a": 1.0, "b": 2.0, "c": 3}
    seq, bulk = RunState(), RunState()
    for s in (seq, bulk):
        if seed % 2:
            s.summary.define(MetricDef("a", summary=("min", "max", "mean", "first", "last")))
            s.summary.define(MetricDef("*", summary=("best",), goal="maximize" if seed % 4 == 1 else "minimize"))
        s.apply_row(0, 1.0, 0.0, dict(first), None)
    for part in range(4):
        rows = _rows(rng, int(rng.integers(1, 200)), key_sets)
        base = seq.last_step + 1
        for i, row in enumerate(rows):
            seq.apply_row(base + i, 10.0 + base + i, float(base + i), dict(row), None)
        assert bulk.numbers_ready({k for r in rows for k in r})
        present = {k for r in rows for k in r}
        last_values = dict.fromkeys(k for r in rows for k in r)
        for r in rows:
            last_values.update(r)

        def column(key: str, rows: list[dict[str, Any]] = rows) -> tuple[Any, Any]:
            vals = [r[key] for r in rows if key in r]
            ints = np.array([type(v) is int for v in vals])
            return np.array(vals, dtype=np.float64), (ints if ints.any() else None)

        n = len(rows)
        last = base + n - 1
        bulk.apply_number_rows(n, last, 10.0 + last, float(last), {k: last_values[k] for k in last_values if k in present},
                               column)
        assert _typed(msgpack.unpackb(msgpack.packb(bulk.to_dict()))) == _typed(msgpack.unpackb(msgpack.packb(seq.to_dict())))
        assert list(bulk.summary.aggs) == list(seq.summary.aggs)
        assert bulk.summary.current().keys() == seq.summary.current().keys()
        if part == 1:  # a deleted summary key is not ready until a row sets it again
            for s in (seq, bulk):
                s.summary.set_manual({}, ["b"])
            assert not bulk.numbers_ready(["b"])
            for s in (seq, bulk):
                s.apply_row(seq.last_step + 1, 99.0, 1.0, {"b": 1.0}, None)


def test_a_state_saved_before_the_user_was_kept_takes_the_login_its_metadata_names() -> None:
    """Cursors saved before ``RunState.user`` existed: the index keeps naming the run's user
    (the OS login of its start record) when the run goes on, not an empty one."""
    saved = RunState(metadata={"username": "ada"}, user="ada").to_dict()
    del saved["user"]
    assert RunState.from_dict(saved).user == "ada"
    assert RunState.from_dict(RunState(metadata={"username": "ada"}, user="alice").to_dict()).user == "alice"
