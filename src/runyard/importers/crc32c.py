"""CRC-32C (Castagnoli) of many short byte strings at once, with numpy.

Why this is hand-written: an event file of a million scalars is a million records of about 45
bytes, each with its own checksum. ``google_crc32c.value`` is fast per byte, but calling it a
million times from Python costs more than the rest of the import together; no library computes
the checksums of many strings in one call. CRC is affine in the message bits, so the checksum of a
string of length ``L`` is ``K[L] xor (xor over its bytes of T[d][byte])``, where ``d`` is the byte's
distance from the end: that is a handful of numpy gathers per byte *position*, over all records at
once. ``tests/unit/test_tfevents_fast.py`` checks it against ``google-crc32c`` on random strings of
every length, and ``benchmarks/import.py`` times the import it serves.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

_POLY = 0x82F63B78  # CRC-32C, reflected
_MASK_DELTA = 0xA282EAD8


@lru_cache(maxsize=1)
def _byte_table() -> npt.NDArray[np.uint32]:
    t = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        t = np.where(t & 1, (t >> 1) ^ np.uint32(_POLY), t >> 1).astype(np.uint32)
    return t


@lru_cache(maxsize=8)
def tables(span: int) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """``T[d][v]``: the linear contribution of byte ``v`` followed by ``d`` zero bytes, for
    ``d < span``; ``K[n]``: the checksum of ``n`` zero bytes, for ``n <= span``."""
    t0 = _byte_table()
    t = np.empty((span, 256), dtype=np.uint32)
    t[0] = t0
    for d in range(1, span):
        prev = t[d - 1]
        t[d] = (prev >> 8) ^ t0[prev & 0xFF]
    k = np.empty(span + 1, dtype=np.uint32)
    reg = 0xFFFFFFFF
    table = t0.tolist()
    for n in range(span + 1):
        k[n] = reg ^ 0xFFFFFFFF
        reg = (reg >> 8) ^ table[reg & 0xFF]
    return t, k


def masked(crc: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """TFRecord's masking of a checksum: rotate right by 15 bits, add a constant."""
    crc = crc.astype(np.uint32)
    out: npt.NDArray[np.uint32] = (((crc >> 15) | (crc << 17)) + np.uint32(_MASK_DELTA)).astype(np.uint32)
    return out


def crc32c_fixed(buf: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], length: int,
                 nonzero: int | None = None) -> npt.NDArray[np.uint32]:
    """The CRC-32C of ``buf[s : s + length]`` for every ``s`` in ``starts``, when only the first
    ``nonzero`` bytes of each string can differ from zero (zero bytes add nothing to the linear part)."""
    table, zeros = tables(max(length, 1))
    acc = np.full(len(starts), zeros[length], dtype=np.uint32)
    for j in range(length if nonzero is None else min(nonzero, length)):
        acc ^= table[length - 1 - j][buf[starts + j]]
    return acc


def crc32c_many(buf: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64],
                lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.uint32]:
    """The CRC-32C of ``buf[starts[i] : starts[i] + lengths[i]]`` for every ``i``.

    Meant for short strings (each position costs one pass over the strings at least that long);
    the caller checks long ones one at a time.
    """
    n = len(starts)
    out = np.zeros(n, dtype=np.uint32)
    if n == 0:
        return out
    longest = int(lengths.max())
    table, zeros = tables(max(longest, 1))
    order = np.argsort(-lengths, kind="stable")  # longest first: distance d is a prefix of them
    ends = (starts + lengths - 1)[order]
    sorted_len = lengths[order]
    # how many strings are longer than d, for every d
    longer = np.searchsorted(-sorted_len, -np.arange(longest), side="left")
    acc = np.zeros(n, dtype=np.uint32)
    for d in range(longest):
        m = int(longer[d])
        acc[:m] ^= table[d][buf[ends[:m] - d]]
    out[order] = acc ^ zeros[sorted_len]
    return out
