"""The indexes tests run against: SQLite, and PostgreSQL when it is reachable (a fresh schema per
test), and what "the same index" means when two are compared."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from runyard.store import Store
from runyard.store import schema as s
from runyard.store.fixtures import postgres_url, unique_schema

PG_REASON = "PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test', user postgres or root)"
# pytest params: every test that takes them runs on both databases
KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pg_url_or_skip() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip(PG_REASON)
    return url


@contextmanager
def index_store(kind: str, tmp_path: Path) -> Iterator[Store]:
    """An empty index of ``kind`` ("sqlite" or "postgresql"), dropped afterwards."""
    if kind == "sqlite":
        st = Store(tmp_path / "index" / "index.sqlite3")
        try:
            yield st
        finally:
            st.close()
        return
    st = Store(pg_url_or_skip(), schema=unique_schema())
    try:
        yield st
    finally:
        st.drop_schema()


@contextmanager
def served_index(kind: str, root: Path) -> Iterator[Any]:
    """An in-process client of a server on the runs under ``root``, indexing into ``kind``."""
    from runyard.server import create_app
    from runyard.server.testing import InProcessClient

    url, schema = (pg_url_or_skip(), unique_schema()) if kind == "postgresql" else (None, None)
    app = create_app(root, url, schema=schema, follow=False)
    try:
        with InProcessClient(app) as c:
            yield c
    finally:
        if schema is not None:
            app.state.store.drop_schema()


VOLATILE = {"updated_at", "seq"}


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every indexed row, minus wall-clock bookkeeping: what 'the same index' means."""
    out = {}
    with store.read() as conn:
        for table in s.metadata.sorted_tables:
            if table is s.schema_migrations:
                continue
            cols = [c for c in table.c if c.name not in VOLATILE and (table.name, c.name) != ("projects", "created_at")]
            rows = conn.execute(sa.select(*cols).order_by(*cols[:4])).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def column_storage(conn: sa.Connection, table: str, column: str = "data") -> tuple[str, str]:
    """PostgreSQL's (compression, storage) letters of ``table.column``: compression "l" lz4, "p"
    pglz, "" the default; storage "x" extended, "e" external."""
    row = conn.execute(sa.text("SELECT attcompression, attstorage FROM pg_attribute "
                               "WHERE attrelid = CAST(:t AS regclass) AND attname = :c"),
                       {"t": table, "c": column}).one()
    return str(row[0]), str(row[1])


def stored_without_pglz(conn: sa.Connection, table: str, column: str = "data") -> bool:
    """Whether ``table.column`` is stored with lz4 or uncompressed (``schema.lz4_storage``)."""
    compression, storage = column_storage(conn, table, column)
    return compression == "l" or storage == "e"
