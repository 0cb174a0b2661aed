"""The chunk and bucket encodings round-trip: values bit for bit (NaN, ±inf, -0.0, subnormals),
steps exactly, times to the microsecond."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from runyard.store.codec import Buckets, decode_points, encode_points

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-(2**40), 2**40), floats, st.floats(0, 1e6), st.floats(-1e9, 3e9)),
                min_size=1, max_size=300))
def test_points_round_trip(rows: list[tuple[int, float, float, float]]) -> None:
    steps = np.array([r[0] for r in rows], dtype=np.int64)
    values = np.array([r[1] for r in rows], dtype=np.float64)
    rt = np.round(np.array([r[2] for r in rows]) * 1e6) / 1e6
    ts = np.round(np.array([r[3] for r in rows]) * 1e6) / 1e6
    s2, t2, r2, v2 = decode_points(encode_points(steps, ts, rt, values))
    assert np.array_equal(s2, steps)
    assert v2.view(np.uint64).tolist() == values.view(np.uint64).tolist()  # bit for bit
    assert np.array_equal(t2, ts) and np.array_equal(r2, rt)


@settings(max_examples=100, deadline=None)
@given(st.lists(floats, min_size=1, max_size=500), st.integers(1, 64))
def test_buckets_round_trip_and_merge(values: list[float], group: int) -> None:
    v = np.array(values, dtype=np.float64)
    n = len(v)
    steps = np.arange(n, dtype=np.int64)
    b = Buckets.from_points(steps, steps * 0.5, steps * 0.25, v).merge(steps // group)
    d = Buckets.decode(b.encode())
    assert d.m.view(np.uint64).tolist() == b.m.tolist() and d.flags.tolist() == b.flags.tolist()
    assert int(d.npts.sum()) == n and int(d.cnt.sum()) == int(np.isfinite(v).sum())
    assert d.vfirst[0:1].view(np.uint64).tolist() == v[0:1].view(np.uint64).tolist()
    assert d.vlast[-1:].view(np.uint64).tolist() == v[-1:].view(np.uint64).tolist()
