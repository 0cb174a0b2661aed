"""Damage anywhere in a run log costs only the damaged frames: readers resynchronise on the next
good frame, and ``RunLog`` (the one writer) never cuts a region with good frames after it."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runyard.log.framing import HEADER_SIZE, MAGIC, ScanResult, frame, read_frame_runs, read_frames
from runyard.log.records import encode
from runyard.log.runlog import RecordTooLargeError, RunLog


def records(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        if i % 7 == 3:
            out.append(encode([4, {"k": "v" * (i % 50), "n": i}, []]))
        elif i % 11 == 5:
            out.append(encode([5, 1.5, 1, f"line {i}\n"]))
        else:
            out.append(encode([3, i, 1e9 + i, float(i), {"loss": 1 / (i + 1), "acc": float(i)}]))
    return out


def build(items: list[bytes]) -> tuple[bytes, list[tuple[int, int]]]:
    spans = []
    data = bytearray(MAGIC)
    for p in items:
        spans.append((len(data), len(data) + HEADER_SIZE + len(p)))
        data += frame(p)
    return bytes(data), spans


def bulk(path: Path, result: ScanResult) -> list[tuple[int, bytes]]:
    out = []
    for blk in read_frame_runs(path, 0, result):
        for pos, length, count in blk.runs:
            for i in range(count):
                p = pos + i * (length + HEADER_SIZE)
                out.append((blk.base + p, blk.data[p + HEADER_SIZE : p + HEADER_SIZE + length]))
    return out


damage = st.lists(
    st.tuples(st.integers(0, 2**31), st.integers(1, 40), st.sampled_from(["flip", "zero", "garble-length"])),
    min_size=1, max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(5, 400), hits=damage)
def test_every_untouched_frame_reads_back(tmp_path_factory: pytest.TempPathFactory, n: int,
                                         hits: list[tuple[int, int, str]]) -> None:
    items = records(n)
    clean, spans = build(items)
    data = bytearray(clean)
    touched = set()
    for where, width, how in hits:
        at = len(MAGIC) + where % (len(data) - len(MAGIC))
        stop = min(len(data), at + width)
        if how == "flip":
            for i in range(at, stop):
                data[i] ^= 0xA5
        elif how == "zero":
            data[at:stop] = bytes(stop - at)
        else:  # a length pointing far past the end of the file
            frame_at = max(s for s, _ in spans if s <= at)
            stop = frame_at + 4
            at = frame_at
            data[at:stop] = struct.pack("<I", 0x7FFFFFF0)
        touched.update(range(at, stop))
    data = bytes(data)
    path = tmp_path_factory.mktemp("log") / "run.rylog"
    path.write_bytes(data)
    untouched = [(s, items[i]) for i, (s, e) in enumerate(spans) if not touched.intersection(range(s, e))]
    r1, r2 = ScanResult(0, 0), ScanResult(0, 0)
    got = list(read_frames(path, 0, r1))
    assert set(untouched) <= set(got)
    assert got == [(s, p) for s, p in zip([s for s, _ in spans], items, strict=True) if (s, p) in set(got)]
    assert bulk(path, r2) == got
    assert (r1.valid_end, r1.torn_bytes, r1.damaged) == (r2.valid_end, r2.torn_bytes, r2.damaged)
    # Opening the log for appending keeps every good frame and makes the new record readable.
    with RunLog.open(path) as log:
        log.append([[6, 1.0, 2.0]])
        log.sync()
    again = list(read_frames(path))
    assert again[:-1] == got and again[-1][1] == encode([6, 1.0, 2.0])
    kept = path.read_bytes()
    assert kept[: got[-1][0] + HEADER_SIZE + len(got[-1][1]) if got else len(MAGIC)] == \
        data[: got[-1][0] + HEADER_SIZE + len(got[-1][1]) if got else len(MAGIC)]


def test_a_garbled_length_in_the_middle_is_not_a_tail(tmp_path: Path) -> None:
    items = records(1000)
    data, spans = build(items)
    bad = spans[1]
    damaged = bytearray(data)
    damaged[bad[0] : bad[0] + 4] = struct.pack("<I", 10 * len(data))  # points past the end
    path = tmp_path / "run.rylog"
    path.write_bytes(bytes(damaged))
    with RunLog.open(path) as log:
        assert log.recovery.damaged == [(bad[0], bad[1] - bad[0])] and not log.recovery.cut_bytes
        message = log.recovery.message("editing run x")
        log.append([[4, {"best": 1}, []]])
    assert "damage in the middle" in message and f"{bad[1] - bad[0]} bytes at offset {bad[0]}" in message
    got = [p for _, p in read_frames(path)]
    assert got == [items[0], *items[2:], encode([4, {"best": 1}, []])]
    assert (tmp_path / "damaged" / f"run.rylog.{bad[0]}.bin").read_bytes() == bytes(damaged[bad[0] : bad[1]])


def test_a_torn_tail_is_cut_and_a_garbled_one_kept_aside(tmp_path: Path) -> None:
    items = records(30)
    data, spans = build(items)
    path = tmp_path / "run.rylog"
    path.write_bytes(data[:-3])  # a crash in the middle of the last frame
    with RunLog.open(path) as log:
        assert log.recovery.cut_bytes == spans[-1][1] - 3 - spans[-1][0] and log.recovery.tail_copy is None
    assert [p for _, p in read_frames(path)] == items[:-1]
    bad = bytearray(data)
    bad[-2] ^= 1  # a whole last frame with a bad checksum: cut, but its bytes are kept
    path.write_bytes(bytes(bad))
    with RunLog.open(path) as log:
        assert log.recovery.tail_copy is not None
        assert log.recovery.tail_copy.read_bytes() == bytes(bad[spans[-1][0] :])
        assert "kept in" in log.recovery.message("resuming run x")
    assert os.path.getsize(path) == spans[-1][0]


def test_a_record_over_the_limit_is_refused_naming_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "run.rylog"
    with RunLog.create(path, [1, {"id": "x"}], max_record=1000) as log:
        end = log.end
        with pytest.raises(RecordTooLargeError, match=r"'big' 2,00\d bytes.*max_record_bytes"):
            log.append([[4, {"big": "x" * 2000, "small": 1}, []]])
        assert log.end == end == os.path.getsize(path)
        assert log.durable_end == end
        assert [o for o, _ in log.frames()] == [len(MAGIC)]
