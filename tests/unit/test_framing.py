"""The run-log framing: round trips, and any truncation reads back as a prefix (property tests)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runyard.log.framing import MAGIC, LogFormatError, ScanResult, frame, read_frames, scan
from runyard.log.records import decode, encode

payloads = st.lists(st.binary(min_size=0, max_size=300), min_size=0, max_size=12)


def write_log(path: Path, items: list[bytes]) -> bytes:
    data = MAGIC + b"".join(frame(p) for p in items)
    path.write_bytes(data)
    return data


@settings(max_examples=200, deadline=None)
@given(items=payloads, cut=st.integers(min_value=0, max_value=10_000))
def test_any_truncation_reads_back_as_a_prefix(tmp_path_factory: pytest.TempPathFactory, items: list[bytes], cut: int) -> None:
    path = tmp_path_factory.mktemp("log") / "run.rylog"
    data = write_log(path, items)
    cut = min(cut, len(data))
    path.write_bytes(data[:cut])
    got = [p for _, p in read_frames(path)] if cut >= len(MAGIC) or MAGIC.startswith(data[:cut]) else []
    assert got == items[: len(got)]
    # Everything that fit completely before the cut is there.
    complete = 0
    end = len(MAGIC)
    for p in items:
        end += 8 + len(p)
        if end <= cut:
            complete += 1
    assert len(got) == complete


@settings(max_examples=100, deadline=None)
@given(items=payloads.filter(lambda x: len(x) > 0), flip=st.integers(min_value=0))
def test_a_corrupt_byte_never_yields_a_wrong_frame(tmp_path_factory: pytest.TempPathFactory, items: list[bytes], flip: int) -> None:
    path = tmp_path_factory.mktemp("log") / "run.rylog"
    data = bytearray(write_log(path, items))
    pos = len(MAGIC) + flip % (len(data) - len(MAGIC))
    data[pos] ^= 0xFF
    path.write_bytes(bytes(data))
    got = [p for _, p in read_frames(path)]
    rest = iter(items)  # what reads back is the written frames with (at most) some left out
    assert all(any(p == q for q in rest) for p in got)


def test_offsets_allow_resuming_a_scan(tmp_path: Path) -> None:
    path = tmp_path / "run.rylog"
    items = [b"a" * n for n in range(1, 50)]
    write_log(path, items)
    result = ScanResult(0, 0)
    first = list(read_frames(path, 0, result))
    with open(path, "ab") as f:
        f.write(frame(b"later"))
    again = [p for _, p in read_frames(path, result.valid_end)]
    assert [p for _, p in first] == items
    assert again == [b"later"]


def test_large_logs_are_read_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "run.rylog"
    items = [bytes([i % 256]) * 70_000 for i in range(100)]  # 7 MB: crosses the 4 MB chunk
    write_log(path, items)
    assert [p for _, p in read_frames(path)] == items
    assert scan(path).torn_bytes == 0


def test_not_a_log_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"hello world, not a log")
    with pytest.raises(LogFormatError, match="not a runyard run log"):
        list(read_frames(path))


def test_non_finite_floats_round_trip_exactly() -> None:
    values = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 0.1]
    out = decode(encode([3, 0, 1.0, 2.0, {"v": values}]))
    got = out[4]["v"]
    assert math.isnan(got[0]) and got[1] == math.inf and got[2] == -math.inf
    assert math.copysign(1, got[3]) == -1
    assert got[4:] == values[4:]


def test_huge_ints_are_kept_as_floats() -> None:
    assert decode(encode([2, {"n": 2**70}]))[1]["n"] == float(2**70)
