"""Private copies of media arrays: independent of the caller's array, any dtype and shape."""

from __future__ import annotations

import numpy as np
import pytest

from runyard.types._arena import CHUNK_BYTES, MIN_BYTES, private_copy


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64, np.int16, ">f8", np.bool_])
@pytest.mark.parametrize("shape", [(256, 256, 3), (16, 3, 64, 64), (100_000,), (10, 10)])
def test_copy_is_equal_and_independent(dtype: object, shape: tuple[int, ...]) -> None:
    src = (np.arange(int(np.prod(shape))) % 251).astype(dtype).reshape(shape)
    out = private_copy(src)
    assert out.dtype == src.dtype and out.shape == src.shape and np.array_equal(out, src)
    assert out.flags.c_contiguous and not np.shares_memory(out, src)
    before = out.copy()
    src[...] = 0
    assert np.array_equal(out, before)


def test_copies_from_one_chunk_do_not_overlap() -> None:
    n = MIN_BYTES * 2
    copies = [private_copy(np.full(n // 4, i, dtype=np.int32)) for i in range(3 * CHUNK_BYTES // n)]
    assert all((c == i).all() for i, c in enumerate(copies))  # no copy overwrote another
    for a, b in zip(copies, copies[1:], strict=False):
        assert not np.shares_memory(a, b)


def test_non_contiguous_input() -> None:
    src = np.arange(512 * 512 * 3, dtype=np.uint8).reshape(512, 512, 3)[::2, ::2, ::-1]
    out = private_copy(src)
    assert np.array_equal(out, src) and out.flags.c_contiguous
