"""Framing of a run log: the bytes on disk, and what a reader may assume after a crash.

A run log is one file, ``run.rylog``, written by exactly one writer thread and opened only for
appending. It starts with the 8-byte header ``MAGIC`` and continues with frames::

    length  u32 little-endian   number of payload bytes
    crc     u32 little-endian   zlib.crc32 of the 4 length bytes followed by the payload
    payload ``length`` bytes    one msgpack-encoded record (see ``runyard.log.records``)

Invariants a reader may rely on, whatever happened to the writing process (SIGKILL, power loss
after the last fsync, a full disk) or to the file (a flipped byte, a garbled length):

1. Every frame that was completely written before the crash reads back, byte for byte, with its
   checksum intact. Frames are appended and never rewritten (``runlog.RunLog`` is their one writer).
2. A frame that fails its checksum, or whose length is garbled, is skipped: the reader
   resynchronises on the next good frame (``find_frame``), so damage in the middle of a log costs
   the damaged frames only. Bytes after the last good frame that hold no good frame are a *tail*
   (a crash can leave one incomplete frame there); any truncation of a valid log therefore reads
   back as a prefix of the frames that were written.
3. ``valid_end`` of a scan is the offset just past the last good frame; ``damaged`` lists the
   regions skipped. Only ``RunLog`` removes bytes: a tail that is one frame cut short, never a
   region with good frames after it.
4. Frames are self-delimiting, so a reader may resume from any ``valid_end`` it saw earlier
   (incremental ingest) and will see exactly the frames appended since.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import struct
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

MAGIC = b"RYLOG\x00\x01\n"
HEADER = struct.Struct("<II")
HEADER_SIZE = HEADER.size
# A sanity bound on one record: a torn or garbled length field must not make a reader allocate
# gigabytes. Records are small (a row, a summary update); media live in their own files.
MAX_FRAME = 256 * 1024 * 1024
_pack_length = struct.Struct("<I").pack
_unpack_length = struct.Struct("<I").unpack_from
_CHUNK = 4 * 1024 * 1024


def frame(payload: bytes) -> bytes:
    """Return the framed bytes of one payload."""
    length = _pack_length(len(payload))
    return length + _pack_length(zlib.crc32(payload, zlib.crc32(length))) + payload


class LogFormatError(ValueError):
    """The file is not a run log (wrong or missing header)."""


@dataclass
class ScanResult:
    """What a scan found. ``valid_end`` is just past the last good frame; ``torn_bytes`` counts the
    bytes after it that hold no good frame (0 for a clean log: a *tail*, torn by a crash or damaged);
    ``damaged`` lists ``(offset, length)`` of each damaged region *between* good frames, which the
    reader skipped to resynchronise on the next good frame."""

    valid_end: int
    torn_bytes: int
    damaged: list[tuple[int, int]] = field(default_factory=list)


def _first_frame(f: BinaryIO, path: Any, start: int, result: ScanResult | None) -> int | None:
    """Seek ``f`` to the first frame at or after ``start`` and return its offset; ``None`` for a
    header torn by a crash at creation (an empty log, reported in ``result``)."""
    if start != 0:
        f.seek(start)
        return start
    head = f.read(len(MAGIC))
    if head == MAGIC:
        return len(MAGIC)
    if len(head) < len(MAGIC) and MAGIC.startswith(head):
        if result is not None:
            result.valid_end, result.torn_bytes = 0, len(head)
        return None
    raise LogFormatError(f"{path if hasattr(path, 'read') else os.fspath(path)} is not a runyard run log (bad header)")


class LogStream(Protocol):
    """A run log held elsewhere than in a file, read through ``seek`` (log offsets) and ``read``."""

    def seek(self, pos: int, whence: int = 0) -> int: ...

    def read(self, n: int = -1) -> bytes: ...

    def size(self) -> int:
        """The offset just past the log's last byte."""
        ...


def _size(f: Any) -> int:
    size = getattr(f, "size", None)
    return int(size()) if callable(size) else os.fstat(f.fileno()).st_size


def _open(path: str | os.PathLike[str] | LogStream) -> Any:
    """A log file opened for reading, or a readable, seekable stream given as is (the team server
    reads logs held in its database through one; ``runyard.store.online``)."""
    if hasattr(path, "read"):
        return contextlib.nullcontext(path)
    return open(path, "rb")


# --- resynchronisation -------------------------------------------------------------------------
#
# After a damaged frame a reader looks for the next good one. Every payload is one msgpack record
# (``records.py``): an array of at most 15 items whose first item, the kind, is a small positive
# integer, so a frame starts with ``length`` (at most MAX_FRAME, and within the file), ``crc``,
# then the bytes 0x91-0x9F and 0x00-0x7F. numpy finds the offsets where those hold; a candidate
# over 1 MB must also be followed by something that looks like a frame header (or the end of the
# file), so garbage lengths do not make the search read gigabytes; a candidate is taken only when
# its checksum matches (a false match has odds of about 2**-32 per candidate).

_SYNC_WINDOW = 1 << 20
_SYNC_CHEAP = 1 << 20  # candidates up to this long get their checksum checked directly
_MIN_PAYLOAD = 2


def _plausible(a: Any, n: int) -> Any:
    """For the first ``n`` offsets of window ``a`` (uint8), the frame length there, or 0 where the
    bytes cannot start a frame."""
    import numpy as np

    lens = (a[0:n].astype(np.uint32) | (a[1 : n + 1].astype(np.uint32) << 8)
            | (a[2 : n + 2].astype(np.uint32) << 16) | (a[3 : n + 3].astype(np.uint32) << 24))
    k0 = a[HEADER_SIZE : HEADER_SIZE + n]
    ok = (k0 >= 0x91) & (k0 <= 0x9F) & (a[HEADER_SIZE + 1 : HEADER_SIZE + 1 + n] < 0x80)
    ok &= (lens >= _MIN_PAYLOAD) & (lens <= MAX_FRAME)
    return np.where(ok, lens, 0)


def _header_ok(head: bytes) -> bool:
    if len(head) < HEADER_SIZE + _MIN_PAYLOAD:
        return False
    (length,) = _unpack_length(head, 0)
    return _MIN_PAYLOAD <= length <= MAX_FRAME and 0x91 <= head[8] <= 0x9F and head[9] < 0x80


def find_frame(f: BinaryIO, start: int) -> tuple[int | None, int]:
    """The offset of the first good frame at or after ``start`` in ``f`` (None when there is
    none), and the file size the search saw. Leaves ``f``'s position undefined."""
    import numpy as np

    size = _size(f)
    pos = start
    need = HEADER_SIZE + _MIN_PAYLOAD
    while pos + need <= size:
        f.seek(pos)
        buf = f.read(_SYNC_WINDOW + need)
        n = len(buf) - need + 1
        if n <= 0:
            break
        a = np.frombuffer(buf, np.uint8)
        lens = _plausible(a, n)
        idx = np.flatnonzero(lens)
        ends = idx.astype(np.int64) + HEADER_SIZE + lens[idx].astype(np.int64)  # window-relative
        keep = pos + ends <= size
        for i, e in zip(idx[keep].tolist(), ends[keep].tolist(), strict=True):
            off = pos + i
            if e - i > _SYNC_CHEAP and pos + e != size:  # a long candidate: the next frame header
                if e + need <= len(buf):                  # must look like one before its checksum
                    nxt = buf[e : e + need]                # is computed (a cheap first test)
                else:
                    f.seek(pos + e)
                    nxt = f.read(need)
                if not _header_ok(nxt):
                    continue
            f.seek(off)
            head = f.read(HEADER_SIZE)
            length, crc = HEADER.unpack(head)
            payload = f.read(length)
            if len(payload) == length and zlib.crc32(payload, zlib.crc32(head[:4])) == crc:
                return off, size
        pos += n
    return None, size


class _Resync:
    """Shared by both readers: where damage was found, where reading goes on."""

    def __init__(self, f: BinaryIO, result: ScanResult | None) -> None:
        self.f = f
        self.result = result

    def after_bad(self, bad: int) -> int | None:
        """A frame at ``bad`` is damaged or cut short: the offset of the next good frame (the
        damaged region is recorded), or None when only a tail follows."""
        nxt, _ = find_frame(self.f, bad + 1)
        if nxt is None:
            return None
        if self.result is not None:
            self.result.damaged.append((bad, nxt - bad))
        self.f.seek(nxt)
        return nxt

    def finish(self, valid_end: int) -> None:
        if self.result is not None:
            self.result.valid_end = valid_end
            self.result.torn_bytes = max(0, _size(self.f) - valid_end)


def read_frames(
    path: str | os.PathLike[str] | LogStream, start: int = 0, result: ScanResult | None = None
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, payload)`` for each good frame from ``start`` (0 means the file's start).

    Reads in chunks, so memory stays bounded by the largest record. A damaged frame is skipped:
    reading resynchronises on the next good frame (see above); bytes after the last good frame are
    a tail. Pass a ``ScanResult`` to learn the damaged regions and the tail.
    """
    for frames in _buffers(path, start, result, _frames_in):
        yield from frames


def _frames_in(data: bytes, pos: int, offset: int) -> tuple[int, bool, list[tuple[int, bytes]] | None]:
    """``read_frames``' parse of one buffer: the good frames from ``pos`` on, where they stop and
    whether a damaged frame stopped them."""
    unpack = HEADER.unpack_from
    crc32 = zlib.crc32
    out: list[tuple[int, bytes]] = []
    end = len(data)
    while pos + HEADER_SIZE <= end:
        length, crc = unpack(data, pos)
        stop = pos + HEADER_SIZE + length
        if length > MAX_FRAME:
            return pos, True, out
        if stop > end:
            break
        payload = data[pos + HEADER_SIZE : stop]
        if crc32(payload, crc32(data[pos : pos + 4])) != crc:
            return pos, True, out
        out.append((offset + pos, payload))
        pos = stop
    return pos, False, out


_Parse = Callable[[bytes, int, int], tuple[int, bool, Any]]


def _buffers(path: str | os.PathLike[str] | LogStream, start: int, result: ScanResult | None,
             parse: _Parse) -> Generator[Any, None, None]:
    """The read loop both readers share: the file a chunk at a time, each buffer handed to
    ``parse(data, pos, offset)`` (``offset``: the file offset of ``data[0]``), which returns how far
    it got, whether a damaged frame stopped it and what to yield (None: nothing). After damage,
    reading resynchronises on the next good frame; what is left at the end is a tail."""
    with _open(path) as f:
        first = _first_frame(f, path, start, result)
        if first is None:
            return
        sync = _Resync(f, result)
        offset = first  # file offset of data[0]
        data = b""
        pos = 0
        while True:
            chunk = f.read(_CHUNK)
            if chunk:
                data = data[pos:] + chunk
                offset += pos
                pos = 0
            pos, bad, out = parse(data, pos, offset)
            if out:
                yield out
            if bad or (not chunk and pos < len(data)):
                nxt = sync.after_bad(offset + pos)
                if nxt is not None:
                    offset, data, pos = nxt, b"", 0
                    continue
                break
            if not chunk:
                break
        sync.finish(offset + pos)


def scan(path: str | os.PathLike[str]) -> ScanResult:
    """Scan a whole log: where its last good frame ends, its damaged regions and its tail."""
    result = ScanResult(0, 0)
    for _ in read_frames(path, 0, result):
        pass
    return result


# --- bulk reading ----------------------------------------------------------------------------
#
# ``read_frame_runs`` reads the same frames as ``read_frames`` (same chunks, same stopping rule,
# same ``ScanResult``), but hands them over a buffer at a time, grouped into runs of consecutive
# frames of equal length. A run of equal-length frames is a 2-D array (one frame per row), so
# its boundaries and checksums are verified with a few numpy operations instead of a Python
# step per frame; a log of rows of one shape is one long run.

_RUN_PROBE = 4  # equal lengths in a row before trying to extend a run with numpy
_VEC_CRC_MAX = 256  # longest payload whose checksum is computed with the byte tables below
_crc_tabs: list[Any] = []


@dataclass
class FrameRuns:
    """Good frames of one buffer: ``runs`` holds ``(position in data, payload length, count)``
    for consecutive frames of equal length, in log order; ``base`` is the file offset of
    ``data[0]``. Every frame listed has passed its checksum."""

    base: int
    data: bytes
    runs: list[tuple[int, int, int]]

    def array(self) -> Any:
        import numpy as np

        return np.frombuffer(self.data, dtype=np.uint8)


def _crc_tables(n: int) -> Any:
    """``tabs[d][b]``: what byte ``b`` followed by ``d`` zero bytes adds to a CRC-32 (which is
    affine in the message: crc(m) = crc(zeros) ^ XOR of each byte's term)."""
    import numpy as np

    if not _crc_tabs or len(_crc_tabs[0]) < n:
        t = np.zeros(256, np.uint32)
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
            t[i] = c
        tabs = np.empty((max(n, 64), 256), np.uint32)
        tabs[0] = t
        for d in range(1, len(tabs)):
            p = tabs[d - 1]
            tabs[d] = t[p & 0xFF] ^ (p >> 8)
        _crc_tabs[:] = [tabs]
    return _crc_tabs[0]


def _run_crcs_ok(data: bytes, arr: Any, pos: int, length: int, count: int) -> int:
    """Check the checksums of ``count`` frames of payload ``length`` from ``pos``; return how many
    lead the run with a good checksum (``count`` when all do)."""
    import numpy as np

    stride = length + HEADER_SIZE
    block = arr[pos : pos + count * stride].reshape(count, stride)
    stored = np.ascontiguousarray(block[:, 4:8]).view("<u4").reshape(count)
    if length <= _VEC_CRC_MAX and count >= 8:
        tabs = _crc_tables(length)
        acc = np.full(count, zlib.crc32(data[pos : pos + 4] + bytes(length)), np.uint32)
        for j in range(length):
            acc ^= tabs[length - 1 - j].take(block[:, HEADER_SIZE + j])
    else:
        c0 = zlib.crc32(data[pos : pos + 4])
        first = pos + HEADER_SIZE  # one zlib call a frame, with no Python code run per frame
        payloads = map(data.__getitem__, map(slice, range(first, first + count * stride, stride),
                                             range(first + length, first + length + count * stride, stride)))
        acc = np.fromiter(map(zlib.crc32, payloads, itertools.repeat(c0, count)), np.uint32, count)
    bad = np.flatnonzero(acc != stored)
    return int(bad[0]) if bad.size else count


def read_frame_runs(
    path: str | os.PathLike[str] | LogStream, start: int = 0, result: ScanResult | None = None
) -> Generator[FrameRuns, None, None]:
    """The frames ``read_frames`` yields, a buffer at a time as runs of equal-length frames.

    Skips damage and stops where ``read_frames`` does, and fills ``result`` the same way.
    """
    yield from _buffers(path, start, result, _runs_in)


def _runs_in(data: bytes, pos: int, offset: int) -> tuple[int, bool, FrameRuns | None]:
    """``read_frame_runs``' parse of one buffer (see ``_frames_in``)."""
    import numpy as np

    unpack = _unpack_length
    end = len(data)
    arr = np.frombuffer(data, dtype=np.uint8)
    runs: list[tuple[int, int, int]] = []
    same = 0
    prev = -1
    bad = False
    while pos + HEADER_SIZE <= end:
        (length,) = unpack(data, pos)
        stride = length + HEADER_SIZE
        if length > MAX_FRAME:
            bad = True
            break
        if pos + stride > end:
            break
        count = 1
        if length == prev:
            same += 1
            if same >= _RUN_PROBE:
                count = _extend_run(arr, pos, length, (end - pos) // stride)
        else:
            prev, same = length, 0
        good = _run_crcs_ok(data, arr, pos, length, count) if count > 1 else \
            int(zlib.crc32(data[pos + HEADER_SIZE : pos + stride], zlib.crc32(data[pos : pos + 4]))
                == unpack(data, pos + 4)[0])
        if good:
            if runs and runs[-1][1] == length and runs[-1][0] + runs[-1][2] * stride == pos:
                p0, _, c0 = runs.pop()
                runs.append((p0, length, c0 + good))
            else:
                runs.append((pos, length, good))
            pos += good * stride
        if good < count:
            bad = True
            break
    return pos, bad, FrameRuns(offset, data, runs) if runs else None


def _extend_run(arr: Any, pos: int, length: int, most: int) -> int:
    """How many frames from ``pos`` (at most ``most``) all have payload ``length``."""
    import numpy as np

    stride = length + HEADER_SIZE
    k = 0
    window = 64
    while k < most:
        w = min(window, most - k)
        p = pos + k * stride
        lens = np.ascontiguousarray(arr[p : p + w * stride].reshape(w, stride)[:, :4]).view("<u4").reshape(w)
        bad = np.flatnonzero(lens != length)
        if bad.size:
            return k + int(bad[0])
        k += w
        window *= 4
    return k
