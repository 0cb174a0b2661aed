"""``store.db.insert_rows``: what it inserts comes back exactly, on both databases, whichever COPY
form PostgreSQL gets (binary for the schema's column types, text for any other)."""

from __future__ import annotations

import math

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from runyard.store import Store
from runyard.store import schema as s
from runyard.store.db import _binary_copy_types, insert_rows

EDGE_FLOATS = [0.0, -0.0, 1.5, float("nan"), float("inf"), float("-inf"), 5e-324, 1.7976931348623157e308]


def _same(a: object, b: object, signed_zero: bool) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and (not signed_zero or math.copysign(1, a) == math.copysign(1, b))
    return a == b


def test_tails_and_fields_round_trip_exactly(store: Store) -> None:
    data = bytes(range(256)) * 3  # every byte value, NUL and backslash included
    tails = [{"series_pk": i, "start": 2**62 + i, "n": i, "data": data[i:]} for i in range(20)]
    fields = [{"run_pk": 1, "field": f"summary.k\x00{i}\ue000", "num": v, "text": None if i % 2 else "t\x00\\\n"}
              for i, v in enumerate(EDGE_FLOATS)]
    with store.begin() as conn:
        insert_rows(conn, s.tails, tails)
        insert_rows(conn, s.run_fields, fields)
    with store.read() as conn:
        got_tails = [dict(r._mapping) for r in conn.execute(sa.select(s.tails).order_by(s.tails.c.series_pk))]
        got_fields = [dict(r._mapping) for r in conn.execute(sa.select(s.run_fields))]
    assert [{**r, "data": bytes(r["data"])} for r in got_tails] == tails
    got_fields.sort(key=lambda r: r["field"])
    fields.sort(key=lambda r: r["field"])
    assert len(got_fields) == len(fields)
    for got, want in zip(got_fields, fields, strict=True):
        assert got["field"] == want["field"] and got["text"] == want["text"]
        # SQLite keeps a REAL of integral value as an integer (-0.0 comes back as 0.0) and NaN as NULL
        pg = store.dialect == "postgresql"
        num = want["num"]
        if not pg and isinstance(num, float) and math.isnan(num):
            num = None
        assert _same(got["num"], num, signed_zero=pg), (got, want)


def test_a_column_without_a_binary_form_falls_back_to_text_copy(store: Store) -> None:
    meta = sa.MetaData()
    odd = sa.Table("odd_types", meta, sa.Column("k", sa.Integer, primary_key=True, autoincrement=False),
                   sa.Column("amount", sa.Numeric(10, 2)))
    pg = postgresql.dialect()
    assert _binary_copy_types(s.tails, ("series_pk", "start", "n", "data"), pg) == ["int8", "int8", "int4", "bytea"]
    assert _binary_copy_types(s.run_fields, ("run_pk", "field", "num", "text"), pg) == ["int8", "text", "float8", "text"]
    assert _binary_copy_types(odd, ("k", "amount"), pg) is None
    with store.begin() as conn:
        odd.create(conn)
        insert_rows(conn, odd, [{"k": 1, "amount": "12.34"}, {"k": 2, "amount": None}])
        got = conn.execute(sa.select(odd.c.k, odd.c.amount).order_by(odd.c.k)).all()
    assert [(k, None if a is None else str(a)) for k, a in got] == [(1, "12.34"), (2, None)]
