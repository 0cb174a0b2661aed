"""Downsampling of numeric series (docs/http-api.md, "Series"): spikes kept, deterministic, first/last kept,
a narrow range at full resolution, NaN/±inf kept and marked, tiers equal to brute force."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from runyard.store import schema as s
from runyard.store import series as ser
from runyard.store.codec import HAS_NAN, HAS_NEGINF, HAS_POSINF
from runyard.store.db import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    st = Store(tmp_path / "index.sqlite3")
    yield st
    st.close()


def make_series(store: Store, values: np.ndarray, batches: int = 1, step0: int = 0) -> tuple[int, int, int]:
    n = len(values)
    steps = np.arange(step0, step0 + n, dtype=np.int64)
    ts = 1.7e9 + steps * 0.5
    rt = steps * 0.5
    with store.begin() as conn:
        spk = int(conn.execute(sa.insert(s.series).values(run_pk=1, key="y", n=0, mono=7)).inserted_primary_key[0])
    cuts = np.linspace(0, n, batches + 1).astype(int)
    total, mono = 0, 7
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        with store.begin() as conn:
            total, mono = ser.append(conn, spk, total, mono, ser.Points(steps[a:b], ts[a:b], rt[a:b], values[a:b]))
    return spk, total, mono


def run_query(store: Store, ref: tuple[int, int, int], axis: str = "_step",
              x_range: tuple[float, float] | None = None, max_points: int = 1000) -> ser.Result:
    with store.read() as conn:
        return ser.query(conn, ref[0], ref[1], ref[2], axis, x_range, max_points)


def test_spike_is_kept(store: Store) -> None:
    v = np.sin(np.arange(200_000) / 1000.0)
    v[123_457] = 1e6
    v[77_001] = -1e6
    ref = make_series(store, v)
    r = run_query(store, ref, max_points=500)
    assert len(r.b) <= 500
    assert not r.full
    assert r.b.vmax.max() == 1e6
    assert r.b.vmin.min() == -1e6
    # the spike sits in the bucket whose x span holds its step
    i = int(np.argmax(r.b.vmax))
    assert r.x[i] <= 123_457 <= r.x_last[i]


def test_deterministic_and_first_last_kept(store: Store) -> None:
    rng = np.random.default_rng(3)
    v = rng.normal(size=150_001)
    ref = make_series(store, v, batches=7)
    a = run_query(store, ref, max_points=997)
    b = run_query(store, ref, max_points=997)
    for f in ("x", "x_last"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    assert np.array_equal(a.b.vmin, b.b.vmin) and np.array_equal(a.b.vmax, b.b.vmax)
    assert a.b.vfirst[0] == v[0] and a.x[0] == 0
    assert a.b.vlast[-1] == v[-1] and a.x_last[-1] == 150_000
    assert int(a.b.npts.sum()) == len(v)
    assert len(a.b) <= 997


def test_narrow_range_full_resolution(store: Store) -> None:
    v = np.cos(np.arange(300_000) / 77.0)
    ref = make_series(store, v)
    r = run_query(store, ref, x_range=(100_000.0, 100_499.0), max_points=1000)
    assert r.full and r.level == 0
    assert len(r.b) == 500
    assert np.array_equal(r.x, np.arange(100_000, 100_500, dtype=float))
    assert np.array_equal(r.b.vfirst, v[100_000:100_500])
    # ...also on the time axes, through the chunk index
    t = run_query(store, ref, axis="_runtime", x_range=(50_000.0, 50_010.0))
    assert t.full and np.allclose(t.x, np.arange(100_000, 100_021) * 0.5)


def test_buckets_match_brute_force(store: Store) -> None:
    rng = np.random.default_rng(11)
    n = 70_000
    v = np.cumsum(rng.normal(size=n))
    ref = make_series(store, v, batches=13)  # appends crossing chunk and tier boundaries
    for x_range, mp in (((0.0, n - 1.0), 300), ((1234.0, 56_789.0), 800), (None, 5000), ((10.0, 2000.0), 100)):
        r = run_query(store, ref, x_range=x_range, max_points=mp)
        assert len(r.b) <= mp
        for i in range(len(r.b)):
            lo, hi = int(r.b.sf[i]), int(r.b.sl[i])
            seg = v[lo : hi + 1]
            assert r.b.npts[i] == len(seg)
            assert r.b.vmin[i] == seg.min() and r.b.vmax[i] == seg.max()
            assert r.b.vfirst[i] == seg[0] and r.b.vlast[i] == seg[-1]
            assert math.isclose(r.b.vsum[i], seg.sum(), rel_tol=1e-9, abs_tol=1e-6)


def test_nonfinite_values_are_kept_and_marked(store: Store) -> None:
    v = np.linspace(0, 1, 100_000)
    v[10] = np.nan
    v[20_000] = np.inf
    v[90_000] = -np.inf
    ref = make_series(store, v)
    r = run_query(store, ref, max_points=100)
    flags = np.bitwise_or.reduce(r.b.flags)
    assert flags & HAS_NAN and flags & HAS_POSINF and flags & HAS_NEGINF
    assert np.isfinite(r.b.vmin).all() and np.isfinite(r.b.vmax).all()  # min/max over finite values
    assert int(r.b.npts.sum()) == 100_000 and int(r.b.cnt.sum()) == 99_997
    full = run_query(store, ref, x_range=(0, 50), max_points=100)
    assert full.full and math.isnan(full.b.vfirst[10]) and full.b.flags[10] == HAS_NAN


def test_every_point_when_series_is_short(store: Store) -> None:
    v = np.arange(10.0)
    ref = make_series(store, v)
    r = run_query(store, ref, max_points=1000)
    assert r.full and len(r.b) == 10 and list(r.b.vfirst) == list(v)


def test_empty_range(store: Store) -> None:
    ref = make_series(store, np.arange(100.0))
    r = run_query(store, ref, x_range=(500.0, 600.0))
    assert len(r.b) == 0 and r.total == 0


def test_reads_stay_bounded(store: Store) -> None:
    """A whole-range query of a long series reads tier buckets, not points."""
    v = np.sin(np.arange(1_000_000) / 5000.0)
    ref = make_series(store, v, batches=3)
    r = run_query(store, ref, max_points=1000)
    assert r.level >= 2 and 500 <= len(r.b) <= 1000  # read <= 4 x 1000 buckets of level 2
    zoom = run_query(store, ref, x_range=(500_000.0, 509_999.0), max_points=1000)
    assert zoom.total == 10_000 and 500 <= len(zoom.b) <= 1000


def test_general_axis_unsorted_x(store: Store) -> None:
    """A time axis that went backwards takes the general path and still answers by x."""
    n = 5000
    steps = np.arange(n, dtype=np.int64)
    rt = (steps * 0.1)[::-1].copy()
    with store.begin() as conn:
        spk = int(conn.execute(sa.insert(s.series).values(run_pk=1, key="y", n=0, mono=7)).inserted_primary_key[0])
        total, mono = ser.append(conn, spk, 0, 7, ser.Points(steps, rt + 1e9, rt, steps.astype(float)))
    assert not mono & 4
    with store.read() as conn:
        r = ser.query(conn, spk, total, mono, "_runtime", (0.0, 10.0), 1000)
    assert r.full and r.total == 101
    assert list(r.x) == sorted(r.x)


@pytest.mark.parametrize("seed", range(4))
def test_random_appends_match_brute_force(store: Store, seed: int) -> None:
    """Random batch splits, NaN/inf sprinkled in, random ranges and sizes, on every built-in axis:
    every bucket equals numpy over the points its x span covers."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 120_000))
    v = rng.normal(size=n)
    v[rng.integers(0, n, size=n // 500 + 1)] = np.nan
    v[rng.integers(0, n, size=n // 900 + 1)] = np.inf
    ref = make_series(store, v, batches=int(rng.integers(1, 12)))
    for _ in range(6):
        axis = ["_step", "_runtime", "_timestamp"][int(rng.integers(0, 3))]
        a, b = sorted(rng.integers(0, n, size=2).tolist())
        scale, base = (1.0, 0.0) if axis == "_step" else (0.5, 1.7e9 if axis == "_timestamp" else 0.0)
        x_range = (base + a * scale, base + b * scale) if rng.random() < 0.7 else None
        mp = int(rng.integers(1, 3000))
        r = run_query(store, ref, axis=axis, x_range=x_range, max_points=mp)
        assert len(r.b) <= mp
        lo_in, hi_in = (a, b) if x_range is not None else (0, n - 1)
        assert r.total == hi_in - lo_in + 1
        assert int(r.b.sf[0]) <= lo_in and int(r.b.sl[-1]) >= hi_in  # first and last kept
        for i in range(len(r.b)):
            seg = v[int(r.b.sf[i]) : int(r.b.sl[i]) + 1]
            fin = seg[np.isfinite(seg)]
            assert r.b.npts[i] == len(seg) and r.b.cnt[i] == len(fin)
            if len(fin):
                assert r.b.vmin[i] == fin.min() and r.b.vmax[i] == fin.max()
            assert np.array_equal(r.b.vfirst[i], seg[0], equal_nan=True)
            assert np.array_equal(r.b.vlast[i], seg[-1], equal_nan=True)
            assert bool(r.b.flags[i] & HAS_NAN) == bool(np.isnan(seg).any())
        if r.full:
            assert len(r.b) == r.total
        merged = np.concatenate([np.arange(int(r.b.sf[i]), int(r.b.sl[i]) + 1) for i in range(len(r.b))])
        assert np.array_equal(merged, np.arange(int(r.b.sf[0]), int(r.b.sl[-1]) + 1))  # no gap, no overlap
