"""New series that share their rows (the keys one run logged together) are written in one pass
(``store/series.py``, ``_append_fresh``): the chunks and tiers it stores equal, byte for byte, what
appending each series on its own stores, NaN and ±inf included, across chunk and tier boundaries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from runyard.store import schema as s
from runyard.store import series as ser
from runyard.store.db import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = Store(tmp_path / "index.sqlite3")
    yield st
    st.close()


def _stored(store: Store, spk: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with store.read() as conn:
        chunk_rows = conn.execute(sa.select(s.chunks).where(s.chunks.c.series_pk == spk)
                                  .order_by(s.chunks.c.chunk_no)).all()
        tier_rows = conn.execute(sa.select(s.tiers).where(s.tiers.c.series_pk == spk)
                                 .order_by(s.tiers.c.level, s.tiers.c.chunk_no)).all()
    return [tuple(r)[1:] for r in chunk_rows], [tuple(r)[1:] for r in tier_rows]


@pytest.mark.parametrize("n", [1, 64, 65, 100, 1000, 4097, 70_000])
def test_shared_rows_store_what_single_series_store(store: Store, n: int) -> None:
    rng = np.random.default_rng(n)
    steps = np.arange(n, dtype=np.int64) * 3
    ts = 1.7e9 + np.cumsum(rng.random(n))
    rt = ts - ts[0] + 0.25
    values = rng.normal(size=(4, n))
    values[1, :: max(1, n // 7)] = np.nan
    values[2, n // 2] = np.inf
    values[3, -1] = -np.inf
    with store.begin() as conn:
        pks = [int(conn.execute(sa.insert(s.series).values(run_pk=1, key=f"k{i}", n=0, mono=7))
                   .inserted_primary_key[0]) for i in range(8)]
    with store.begin() as conn:  # together: one set of row arrays for every series
        together = ser.append_many(conn, [(pks[i], 0, 7, ser.Points(steps, ts, rt, values[i])) for i in range(4)])
    with store.begin() as conn:  # alone: each series its own copy of the rows
        alone = [ser.append(conn, pks[4 + i], 0, 7, ser.Points(steps.copy(), ts.copy(), rt.copy(), values[i]))
                 for i in range(4)]
    assert together == alone
    for i in range(4):
        assert _stored(store, pks[i]) == _stored(store, pks[4 + i])
    with store.read() as conn:
        ns = dict(conn.execute(sa.select(s.series.c.pk, s.series.c.n)).all())
    assert [ns[pk] for pk in pks] == [n] * 8


def test_appending_after_a_shared_write(store: Store) -> None:
    n = 300
    steps = np.arange(n, dtype=np.int64)
    ts = 1.7e9 + steps * 0.1
    rt = steps * 0.1
    values = np.random.default_rng(0).normal(size=(2, n))
    with store.begin() as conn:
        pks = [int(conn.execute(sa.insert(s.series).values(run_pk=1, key=f"k{i}", n=0, mono=7))
                   .inserted_primary_key[0]) for i in range(2)]
        ser.append_many(conn, [(pks[i], 0, 7, ser.Points(steps[:200], ts[:200], rt[:200], values[i, :200]))
                               for i in range(2)])
        ser.append_many(conn, [(pks[i], 200, 7, ser.Points(steps[200:], ts[200:], rt[200:], values[i, 200:]))
                               for i in range(2)])
    with store.read() as conn:
        got = ser.load_points(conn, pks[1], 0, n)
    assert np.array_equal(got.values, values[1]) and np.array_equal(got.steps, steps)
