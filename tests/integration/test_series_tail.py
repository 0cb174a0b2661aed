"""The live tail of a series (``store/series.py``, ``append_live``): a series appended a few points
at a time answers every read exactly as the same points appended in one pass, before and after its
tail is sealed, and once sealed stores the same rows byte for byte; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from runyard.store import schema as s
from runyard.store import series as ser
from runyard.store.db import Store
from runyard.store.fixtures import postgres_url, unique_schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        st = Store(tmp_path / "index.sqlite3")
        yield st
        st.close()
        return
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test')")
    st = Store(url, schema=unique_schema())
    try:
        yield st
    finally:
        st.drop_schema()


def new_series(store: Store, key: str) -> int:
    with store.begin() as conn:
        return int(conn.execute(sa.insert(s.series).values(run_pk=1, key=key, n=0, mono=ser.ALL_MONO))
                   .inserted_primary_key[0])


def series_row(store: Store, spk: int) -> tuple[int, int]:
    with store.read() as conn:
        n, mono = conn.execute(sa.select(s.series.c.n, s.series.c.mono).where(s.series.c.pk == spk)).one()
    return int(n), int(mono)


def tail_points(store: Store, spk: int) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(s.tails.c.n), 0))
                                .where(s.tails.c.series_pk == spk)).scalar_one())


def one_pass(store: Store, p: ser.Points, key: str) -> int:
    spk = new_series(store, key)
    with store.begin() as conn:
        ser.append(conn, spk, 0, ser.ALL_MONO, p)
    return spk


def live(store: Store, spk: int, p: ser.Points, cuts: list[int]) -> None:
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        n, mono = series_row(store, spk)
        held = tail_points(store, spk)
        with store.begin() as conn:
            ser.append_live(conn, [(spk, n, mono, held, p.slice(a, b))])


def same_reads(store: Store, a: int, b: int, n: int, rng: np.random.Generator, p: ser.Points) -> None:
    """Every read of series ``b`` equals the same read of ``a`` (both hold ``n`` points)."""
    na, ma = series_row(store, a)
    nb, mb = series_row(store, b)
    assert na == nb == n
    with store.read() as conn:
        pa, pb = ser.load_points(conn, a, 0, n), ser.load_points(conn, b, 0, n)
        for f in ("steps", "ts", "rt", "values"):
            assert np.array_equal(getattr(pa, f), getattr(pb, f), equal_nan=True)
        for _ in range(12):
            axis = ["_step", "_timestamp", "_runtime"][int(rng.integers(0, 3))]
            x = {"_step": p.steps[:n].astype(float), "_timestamp": p.ts[:n], "_runtime": p.rt[:n]}[axis]
            lo, hi = sorted(rng.integers(0, n, size=2).tolist())
            x_range = (float(min(x[lo], x[hi])), float(max(x[lo], x[hi]))) if rng.random() < 0.6 else None
            mp = int(rng.integers(1, 2500))
            ra = ser.query(conn, a, n, ma, axis, x_range, mp)
            rb = ser.query(conn, b, n, mb, axis, x_range, mp)
            assert (ra.total, ra.level, ra.full) == (rb.total, rb.level, rb.full)
            assert np.array_equal(ra.x, rb.x) and np.array_equal(ra.x_last, rb.x_last)
            assert np.array_equal(ra.b.m, rb.b.m) and np.array_equal(ra.b.flags, rb.b.flags)


def stored_rows(store: Store, spk: int) -> list[object]:
    with store.read() as conn:
        return [conn.execute(sa.select(*[c for c in t.c if c.name != "series_pk"]).where(t.c.series_pk == spk)
                             .order_by(*t.primary_key.columns)).all() for t in (s.chunks, s.tiers)]


@pytest.mark.parametrize("seed", [0, 1])
def test_a_series_appended_live_reads_as_one_written_in_one_pass(store: Store, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 23_000
    steps = np.arange(n, dtype=np.int64)
    ts = 1.7e9 + steps * 0.1 + rng.random(n) * 1e-7  # sub-microsecond noise: times are quantized alike
    if seed == 1:
        ts[15_000:] -= 50.0  # a clock jump: the series is no longer monotonic on _timestamp
    rt = steps * 0.1
    values = np.cumsum(rng.normal(size=n))
    values[rng.integers(0, n, size=30)] = np.nan
    values[rng.integers(0, n, size=10)] = -np.inf
    p = ser.Points(steps, ts, rt, values)
    # a few points at a time, with now and then a large append (sealed at once)
    cuts = [0]
    while cuts[-1] < n:
        size = int(rng.integers(300, 700)) if rng.random() < 0.03 else int(rng.integers(1, 60))
        cuts.append(min(n, cuts[-1] + size))
    spk = new_series(store, "live")
    checks = sorted(rng.choice(np.arange(1, len(cuts) - 1), size=3, replace=False).tolist()) + [len(cuts) - 1]
    done = 0
    for i, c in enumerate(checks):
        live(store, spk, p, cuts[done : c + 1])
        done = c
        m = cuts[c]
        ref = one_pass(store, p.slice(0, m), f"ref{i}")
        assert tail_points(store, spk) > 0 or m % ser.CHUNK == 0 or m == n
        same_reads(store, ref, spk, m, rng, p)
        assert series_row(store, spk)[0] == m
    # the mono bits a read uses are the one-pass ones
    with store.read() as conn:
        assert ser.Reader(conn, spk, series_row(store, spk)[1]).mono == series_row(store, ref)[1]
    # sealed (an append of LIVE_BATCH points or more), it stores what one pass stores
    extra = ser.Points(np.arange(n, n + 300, dtype=np.int64), 1.7e9 + np.arange(n, n + 300) * 0.1,
                       np.arange(n, n + 300) * 0.1, rng.normal(size=300))
    nb, mono = series_row(store, spk)
    with store.begin() as conn:
        ser.append_live(conn, [(spk, nb, mono, tail_points(store, spk), extra)])
    assert tail_points(store, spk) == 0
    whole = ser.Points.concat([p, extra])
    ref = one_pass(store, whole, "whole")
    assert stored_rows(store, spk) == stored_rows(store, ref)
    assert series_row(store, spk) == series_row(store, ref)


def test_many_series_of_one_run_in_one_call(store: Store) -> None:
    """The shape of a live batch: many series, a few shared rows each, some of them sealing."""
    rng = np.random.default_rng(5)
    steps = np.arange(5000, dtype=np.int64)
    p_axes = (steps, 1.7e9 + steps * 0.5, steps * 0.5)
    vals = rng.normal(size=(6, 5000))
    spks = [new_series(store, f"k{i}") for i in range(6)]
    pos = 0
    while pos < 5000:
        size = int(rng.integers(1, 40))
        items = []
        for i, spk in enumerate(spks):
            n, mono = series_row(store, spk)
            part = ser.Points(*(a[pos : pos + size] for a in p_axes), vals[i, pos : pos + size])
            items.append((spk, n, mono, tail_points(store, spk), part))
        with store.begin() as conn:
            ser.append_live(conn, items)
        pos += size
    for i, spk in enumerate(spks):
        ref = one_pass(store, ser.Points(*p_axes, vals[i]), f"ref{i}")
        same_reads(store, ref, spk, 5000, rng, ser.Points(*p_axes, vals[i]))
