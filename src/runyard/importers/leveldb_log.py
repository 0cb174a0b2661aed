"""Reading the framing of wandb's ``.wandb`` transaction log.

The file is a 7-byte header (``:W&B``, the magic ``0xBEE1`` little-endian, a version byte) followed
by the LevelDB log format: 32 KiB blocks of chunks, each a checksum (u32: zlib's CRC-32 of the type
byte and the data, unmasked, where LevelDB uses a masked CRC-32C),
``length`` (u16), ``type`` (1 full, 2 first, 3 middle, 4 last) and ``length`` bytes; a block's tail
shorter than a chunk header is zero padding. A record is one full chunk, or first + middles + last.

wandb ≥ 0.20 reads these files only in its Go core (``wandb-core``); the Python package keeps the
protobuf classes of the records but no reader of the framing, so this small one is ours. Each
record's protobuf payload is parsed with wandb's own ``wandb_internal_pb2.Record``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

IDENT = b":W&B"
MAGIC = 0xBEE1
HEADER_SIZE = 7
BLOCK = 32 * 1024
_CHUNK = struct.Struct("<IHB")
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


class WandbLogError(ValueError):
    """The file is not a wandb transaction log, or a record in it is damaged."""


def read_records(path: str | Path, verify: bool = True) -> Iterator[bytes]:
    """Yield the payload of every record; a torn end (a writer killed mid-record) ends quietly."""
    data = Path(path).read_bytes()
    if len(data) < HEADER_SIZE or data[:4] != IDENT or struct.unpack_from("<H", data, 4)[0] != MAGIC:
        raise WandbLogError(f"{path} is not a wandb transaction log (.wandb): bad header")
    end = len(data)
    offset = HEADER_SIZE
    parts: list[bytes] = []
    while offset + _CHUNK.size <= end:
        room = BLOCK - offset % BLOCK
        if room < _CHUNK.size:  # block trailer: zero padding
            offset += room
            continue
        checksum, length, kind = _CHUNK.unpack_from(data, offset)
        start = offset + _CHUNK.size
        stop = start + length
        if stop > end:
            return  # torn tail
        if kind == 0 and length == 0:  # zero padding written by a preallocating writer
            offset += room
            continue
        if verify and zlib.crc32(data[offset + 6 : stop]) != checksum:
            raise WandbLogError(f"{path}: the record chunk at offset {offset} fails its checksum")
        chunk = data[start:stop]
        offset = stop
        if kind == FULL:
            parts = []
            yield chunk
        elif kind == FIRST:
            parts = [chunk]
        elif kind == MIDDLE:
            parts.append(chunk)
        elif kind == LAST:
            parts.append(chunk)
            yield b"".join(parts)
            parts = []
        else:
            raise WandbLogError(f"{path}: unknown chunk type {kind} at offset {offset - length - _CHUNK.size}")
