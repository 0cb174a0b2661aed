"""A small PNG writer for numpy arrays: no Pillow needed, and faster than Pillow for our case.

Pillow picks a filter per row adaptively, which costs ~3 ms for a 256×256 RGB image before zlib
even starts. Here every row uses the *Up* filter (one vectorised subtraction), and zlib runs at
level 1. Noisy images do not compress at all, so a sample is compressed first and, when it shrinks
by less than ``_INCOMPRESSIBLE``, the whole image is stored uncompressed (zlib level 0), which
costs a copy instead of ~3 ms of futile deflate work. The output is a plain, valid PNG.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour types by number of channels: grey, grey+alpha, RGB, RGBA.
_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}
_SAMPLE = 1 << 15  # bytes of filtered data compressed to judge compressibility
_INCOMPRESSIBLE = 0.9  # compressed/raw ratio of the sample above which we store instead
LEVEL = 1


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(pixels: np.ndarray, level: int = LEVEL) -> bytes:
    """Encode an (H, W) or (H, W, C) array (C in 1..4) of uint8 or uint16 as PNG bytes."""
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    height, width, channels = pixels.shape
    if pixels.dtype == np.uint8:
        depth = 8
    elif pixels.dtype == np.uint16:
        depth = 16
        pixels = pixels.astype(">u2")
    else:
        raise TypeError(f"encode_png: dtype must be uint8 or uint16, got {pixels.dtype}")
    rows = np.ascontiguousarray(pixels).view(np.uint8).reshape(height, -1)
    filtered = np.empty((height, rows.shape[1] + 1), dtype=np.uint8)
    filtered[:, 0] = 2  # filter type "Up": each byte minus the byte above it (mod 256)
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])
    raw = filtered.tobytes()
    if level > 0 and len(raw) > 2 * _SAMPLE:
        middle = len(raw) // 2
        sample = raw[middle : middle + _SAMPLE]
        if len(zlib.compress(sample, level)) > _INCOMPRESSIBLE * len(sample):
            level = 0
    header = struct.pack(">IIBBBBB", width, height, depth, _COLOR_TYPE[channels], 0, 0, 0)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, level)),
            _chunk(b"IEND", b""),
        )
    )


def png_header(data: bytes) -> tuple[int, int, str] | None:
    """``(width, height, mode)`` from a PNG's IHDR, or None when ``data`` is not a PNG."""
    if len(data) < 29 or not data.startswith(_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    if color == 0:
        mode = "1" if depth == 1 else "I;16" if depth == 16 else "L"
    else:
        mode = {2: "RGB", 3: "P", 4: "LA", 6: "RGBA"}.get(color, "RGB")
    return width, height, mode
