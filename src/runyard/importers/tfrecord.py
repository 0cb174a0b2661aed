"""Reading the TFRecord framing of TensorBoard event files.

Each record is ``length`` (u64 little-endian), ``masked crc32c(length)`` (u32), ``data``,
``masked crc32c(data)`` (u32). TensorBoard's own ``RawEventFileLoader`` reads the same framing but
verifies each checksum in pure Python when TensorFlow is absent, which made it 5× slower than this
reader here (``benchmarks/import.py`` measures both on one file). Checksums are verified when the
``google-crc32c`` C extension is installed; without it a damaged record still cannot slip through
silently, because its protobuf payload then fails to parse and is reported.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_HEADER = struct.Struct("<QI")
_CRC = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8


def _crc32c() -> Any:
    try:
        import google_crc32c
    except ImportError:
        return None
    return google_crc32c.value


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


class RecordError(ValueError):
    """A record of an event file is damaged (its checksum or its length does not hold)."""


def read_records(path: str | Path, verify: bool = True) -> Iterator[bytes]:
    """Yield the data of each record in ``path``; a torn last record (a writer still writing, or
    killed) ends the file quietly, as TensorBoard does; a checksum mismatch raises ``RecordError``."""
    data = Path(path).read_bytes()
    crc = _crc32c() if verify else None
    end = len(data)
    offset = 0
    unpack = _HEADER.unpack_from
    while offset + 12 <= end:
        length, length_crc = unpack(data, offset)
        start = offset + 12
        stop = start + length
        if stop + 4 > end:
            return  # torn tail
        payload = data[start:stop]
        if crc is not None:
            if _masked(crc(data[offset : offset + 8])) != length_crc:
                raise RecordError(f"{path}: record at offset {offset} has a bad length checksum")
            if _masked(crc(payload)) != _CRC.unpack_from(data, stop)[0]:
                raise RecordError(f"{path}: record at offset {offset} has a bad data checksum")
        yield payload
        offset = stop + 4


def write_record(out: bytearray, payload: bytes) -> None:
    """Append one framed record to ``out`` (used by tests and the benchmark to make event files;
    checksums are written when ``google-crc32c`` is installed, zero otherwise)."""
    crc = _crc32c()
    head = struct.pack("<Q", len(payload))
    out += head
    out += _CRC.pack(_masked(crc(head)) if crc else 0)
    out += payload
    out += _CRC.pack(_masked(crc(payload)) if crc else 0)
