"""Framing of a run log: the bytes on disk, and what a reader may assume after a crash.

A run log is one file, ``run.rylog``, written by exactly one writer thread and opened only for
appending. It starts with the 8-byte header ``MAGIC`` and continues with frames::

    length  u32 little-endian   number of payload bytes
    crc     u32 little-endian   zlib.crc32 of the 4 length bytes followed by the payload
    payload ``length`` bytes    one msgpack-encoded record (see ``runyard.log.records``)

Invariants a reader may rely on, whatever happened to the writing process (SIGKILL, power loss
after the last fsync, a full disk):

1. Every frame that was completely written before the crash reads back, byte for byte, with its
   checksum intact. Frames are appended with one ``write()`` each batch and never rewritten.
2. A crash can leave at most one incomplete or garbled frame, and only at the end (a *torn
   tail*). ``read_frames`` stops at the first frame whose length runs past the end of the file or
   whose checksum does not match; everything before it is returned, nothing after it. So any
   truncation of a valid log reads back as a prefix of the frames that were written.
3. ``valid_end`` of a scan is the offset just past the last good frame. A writer that resumes a run
   first truncates the file to that offset, so a torn tail never ends up in the middle of a log.
4. Frames are self-delimiting, so a reader may resume from any ``valid_end`` it saw earlier
   (incremental ingest) and will see exactly the frames appended since.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

MAGIC = b"RYLOG\x00\x01\n"
HEADER = struct.Struct("<II")
HEADER_SIZE = HEADER.size
# A sanity bound on one record: a torn or garbled length field must not make a reader allocate
# gigabytes. Records are small (a row, a summary update); media live in their own files.
MAX_FRAME = 256 * 1024 * 1024
_pack_length = struct.Struct("<I").pack
_CHUNK = 4 * 1024 * 1024


def frame(payload: bytes) -> bytes:
    """Return the framed bytes of one payload."""
    length = _pack_length(len(payload))
    return length + _pack_length(zlib.crc32(payload, zlib.crc32(length))) + payload


class LogFormatError(ValueError):
    """The file is not a run log (wrong or missing header)."""


@dataclass
class ScanResult:
    """Where a scan stopped: ``valid_end`` is just past the last good frame; ``torn_bytes`` counts
    the bytes after it that did not form a good frame (0 for a clean log)."""

    valid_end: int
    torn_bytes: int


def read_frames(
    path: str | os.PathLike[str], start: int = 0, result: ScanResult | None = None
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, payload)`` for each good frame from ``start`` (0 means the file's start).

    Reads in chunks, so memory stays bounded by the largest record. Stops silently at a torn or
    corrupt frame; pass a ``ScanResult`` to learn where and how many bytes were left unread.
    """
    unpack = HEADER.unpack_from
    crc32 = zlib.crc32
    with open(path, "rb") as f:
        if start == 0:
            head = f.read(len(MAGIC))
            if head != MAGIC:
                if len(head) < len(MAGIC) and MAGIC.startswith(head):
                    # A header torn by a crash at creation: an empty log.
                    if result is not None:
                        result.valid_end, result.torn_bytes = 0, len(head)
                    return
                raise LogFormatError(f"{os.fspath(path)} is not a runyard run log (bad header)")
            start = len(MAGIC)
        else:
            f.seek(start)
        offset = start  # file offset of data[0]
        data = b""
        pos = 0
        while True:
            chunk = f.read(_CHUNK)
            if chunk:
                data = data[pos:] + chunk
                offset += pos
                pos = 0
            end = len(data)
            while pos + HEADER_SIZE <= end:
                length, crc = unpack(data, pos)
                stop = pos + HEADER_SIZE + length
                if length > MAX_FRAME:
                    chunk = b""  # garbled length: stop here
                    break
                if stop > end:
                    break
                payload = data[pos + HEADER_SIZE : stop]
                if crc32(payload, crc32(data[pos : pos + 4])) != crc:
                    chunk = b""  # corrupt frame: nothing after it is trusted
                    break
                yield offset + pos, payload
                pos = stop
            if not chunk:
                break
    if result is not None:
        result.valid_end = offset + pos
        result.torn_bytes = end - pos


def scan(path: str | os.PathLike[str]) -> ScanResult:
    """Scan a whole log and report where its valid prefix ends."""
    result = ScanResult(0, 0)
    for _ in read_frames(path, 0, result):
        pass
    return result
