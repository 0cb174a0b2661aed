"""Private copies of large arrays without a page fault per 4 kB.

A media value copies the caller's array at construction (the caller may reuse it at once). A
fresh 200 kB allocation costs ~100 µs here, almost all of it the kernel faulting in and zeroing
50 new pages, and a queue of images waiting for the writer means every copy lands in fresh
memory. Copies into slices of a large chunk instead (which numpy backs with transparent huge
pages where the kernel offers them) cost ~10 µs. A chunk is freed when the last array cut from it
is gone, i.e. once the writer has encoded those values; chunks are never reused, so nothing here
has to track lifetimes.
"""

from __future__ import annotations

import threading

import numpy as np

CHUNK_BYTES = 16 * 1024 * 1024  # ≥ 4 MB: large enough for numpy to ask for huge pages
MIN_BYTES = 64 * 1024  # smaller arrays gain nothing: malloc reuses their memory
_ALIGN = 64

_lock = threading.Lock()
_chunk: np.ndarray | None = None
_used = 0


def private_copy(arr: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``arr`` that shares no memory with it."""
    global _chunk, _used
    n = arr.nbytes
    if n < MIN_BYTES or n > CHUNK_BYTES // 4 or arr.dtype.hasobject:
        return np.array(arr, copy=True, order="C")
    size = (n + _ALIGN - 1) // _ALIGN * _ALIGN
    with _lock:
        if _chunk is None or _used + size > CHUNK_BYTES:
            _chunk, _used = np.empty(CHUNK_BYTES, dtype=np.uint8), 0
        start = _used
        _used += size
        block = _chunk[start : start + n]
    out = block.view(arr.dtype).reshape(arr.shape)
    np.copyto(out, arr)
    return out
