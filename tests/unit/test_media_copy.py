"""Media values copy the caller's array at construction (the caller may reuse it at once): the
copy is equal, C-contiguous and independent, whatever the dtype, shape or memory layout."""

from __future__ import annotations

import numpy as np
import pytest

from runyard.types._optional import to_numpy


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64, np.int16, ">f8", np.bool_])
@pytest.mark.parametrize("shape", [(256, 256, 3), (16, 3, 64, 64), (100_000,), (10, 10)])
def test_copy_is_equal_and_independent(dtype: object, shape: tuple[int, ...]) -> None:
    src = (np.arange(int(np.prod(shape))) % 251).astype(dtype).reshape(shape)
    out = to_numpy(src)
    assert out.dtype == src.dtype and out.shape == src.shape and np.array_equal(out, src)
    assert out.flags.c_contiguous and not np.shares_memory(out, src)
    before = out.copy()
    src[...] = 0
    assert np.array_equal(out, before)


@pytest.mark.parametrize("make", [
    lambda a: a[::2, ::2, ::-1],  # strided and reversed
    lambda a: np.asfortranarray(a),
])
def test_any_layout_becomes_a_c_contiguous_copy(make: object) -> None:
    src = make(np.arange(512 * 512 * 3, dtype=np.uint8).reshape(512, 512, 3))  # type: ignore[operator]
    out = to_numpy(src)
    assert np.array_equal(out, src) and out.flags.c_contiguous and not np.shares_memory(out, src)


def test_nested_sequences_are_copied() -> None:
    rows = [[1.0, 2.0], [3.0, 4.0]]
    out = to_numpy(rows)
    rows[0][0] = 9.0
    assert out.tolist() == [[1.0, 2.0], [3.0, 4.0]]
