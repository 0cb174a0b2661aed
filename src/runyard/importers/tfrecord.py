"""Reading the TFRecord framing of TensorBoard event files.

Each record is ``length`` (u64 little-endian), ``masked crc32c(length)`` (u32), ``data``,
``masked crc32c(data)`` (u32). TensorBoard's own ``RawEventFileLoader`` reads the same framing but
verifies each checksum in pure Python when TensorFlow is absent, which made it several times slower
than this reader (``benchmarks/import.py`` measures both on one file).

``read_spans`` finds every record of a file at once with numpy: a record header is 8 length bytes
whose top five are zero (records under 16 MiB) followed by the masked checksum of those 8 bytes,
so every such position is a candidate, and the records are the chain of candidates that starts at
offset 0 and where each one ends where the next begins. A file that does not chain that way
(damage, a record of 16 MiB or more, a candidate inside a payload that breaks the chain more
than a few times) is walked record by record instead, which reports damage precisely. Payload
checksums are checked by the caller (``verify_payloads``, or the scalar decoder for the records it
decodes), so each byte is read once.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import numpy.typing as npt

from .crc32c import crc32c_fixed, crc32c_many, masked

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


Spans = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]  # payload starts, payload lengths


def read_at(buf: npt.NDArray[np.uint8], pos: npt.NDArray[np.int64], dtype: str) -> npt.NDArray[Any]:
    """The little-endian number of type ``dtype`` starting at each byte offset in ``pos``: read
    through one aligned view per alignment, which is several times cheaper than gathering bytes."""
    width = np.dtype(dtype).itemsize
    out = np.empty(len(pos), dtype=np.dtype(dtype).newbyteorder("="))
    align = pos % width
    for a in range(width):
        sel = np.flatnonzero(align == a) if width > 1 else np.arange(len(pos))
        if len(sel) == 0:
            continue
        view = np.frombuffer(buf, dtype, count=(len(buf) - a) // width, offset=a)
        out[sel] = view[(pos[sel] - a) // width]
    return out


def _header_candidates(buf: npt.NDArray[np.uint8]) -> Spans:
    """Offsets whose 12 bytes read as a valid header of a record under 256 bytes, and its length."""
    n = len(buf) - 11
    if n <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    zero = buf == 0
    cand = zero[1 : 1 + n].copy()
    for k in range(2, 8):
        cand &= zero[k : k + n]
    pos = np.flatnonzero(cand).astype(np.int64)
    got = read_at(buf, pos + 8, "<u4")
    ok = masked(crc32c_fixed(buf, pos, 8, nonzero=1)) == got  # only the first byte is not zero
    pos = pos[ok]
    return pos, buf[pos].astype(np.int64)


def record_length(data: bytes, offset: int) -> int | None:
    """The payload length of the record at ``offset``; None when the file ends inside it (a torn
    tail); ``RecordError`` when its length checksum does not hold."""
    if offset + 12 > len(data):
        return None
    length, length_crc = _HEADER.unpack_from(data, offset)
    head = data[offset : offset + 8]
    crc = _crc32c()
    want = _masked(crc(head)) if crc is not None else int(masked(crc32c_fixed(
        np.frombuffer(head, np.uint8), np.zeros(1, np.int64), 8))[0])
    if want != length_crc:
        raise RecordError(f"record at offset {offset} has a bad length checksum")
    if offset + 12 + length + 4 > len(data):
        return None
    return int(length)


def read_spans(data: bytes) -> Spans:
    """The payload start and length of every record of an event file's bytes. A torn last record
    (a writer still writing, or killed) ends the file quietly, as TensorBoard does; a header whose
    checksum does not hold raises ``RecordError``.

    Runs of short records are followed with numpy (see the module's docstring); a long record, or
    the record after a candidate that was really payload bytes, is read on its own.
    """
    buf = np.frombuffer(data, np.uint8)
    pos, lengths = _header_candidates(buf)
    nxt = pos + lengths + 16
    breaks = np.flatnonzero(nxt[:-1] != pos[1:])  # candidate j does not end where candidate j+1 starts
    starts: list[npt.NDArray[np.int64]] = []
    sizes: list[npt.NDArray[np.int64]] = []
    offset, end = 0, len(data)
    while offset < end:
        i = int(np.searchsorted(pos, offset))
        if i < len(pos) and pos[i] == offset and nxt[i] <= end:
            k = int(np.searchsorted(breaks, i))
            j = int(breaks[k]) if k < len(breaks) else len(pos) - 1
            j = i + int(np.searchsorted(nxt[i : j + 1], end, side="right")) - 1  # none past the end
            starts.append(pos[i : j + 1] + 12)
            sizes.append(lengths[i : j + 1])
            offset = int(nxt[j])
            continue
        length = record_length(data, offset)
        if length is None:
            break  # torn tail
        starts.append(np.array([offset + 12], np.int64))
        sizes.append(np.array([length], np.int64))
        offset += length + 16
    if not starts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(starts), np.concatenate(sizes)


def verify_payloads(data: bytes, starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> None:
    """Check the payload checksum of the given records; ``RecordError`` names the first bad one."""
    if len(starts) == 0:
        return
    buf = np.frombuffer(data, np.uint8)
    crc = _crc32c()
    got = read_at(buf, starts + lengths, "<u4")
    if crc is not None:
        spans = zip(starts.tolist(), lengths.tolist(), strict=True)
        want = np.fromiter((_masked(crc(data[s : s + n])) for s, n in spans), np.uint32, len(starts))
    else:
        want = masked(crc32c_many(buf, starts, lengths))
    bad = np.flatnonzero(want != got)
    if len(bad):
        raise RecordError(f"record at offset {int(starts[bad[0]]) - 12} has a bad data checksum")


def write_record(out: bytearray, payload: bytes) -> None:
    """Append one framed record to ``out`` (used by tests and the benchmark to make event files)."""
    head = struct.pack("<Q", len(payload))
    crc = _crc32c()
    if crc is not None:
        head_crc, data_crc = _masked(crc(head)), _masked(crc(payload))
    else:
        both = np.frombuffer(head + payload, np.uint8)
        c = masked(crc32c_many(both, np.array([0, 8], np.int64), np.array([8, len(payload)], np.int64)))
        head_crc, data_crc = int(c[0]), int(c[1])
    out += head
    out += _CRC.pack(head_crc)
    out += payload
    out += _CRC.pack(data_crc)
