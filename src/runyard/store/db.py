"""``Store``: the one object that owns the index database (SQLite in WAL mode, or PostgreSQL).

``Store(url)`` accepts ``sqlite:///path``, a plain file path (SQLite), or a PostgreSQL URL
(``postgresql://user@host/db``; the psycopg 3 driver is used). ``schema=`` places every table
in a PostgreSQL schema of that name (created when missing), so several indexes can share one
database (tests use one schema per test run).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..filters import compile_pattern
from . import schema as s

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
DEFAULT_INDEX = Path(".runyard") / "index.sqlite3"


def default_store_url(root: str | os.PathLike[str]) -> str:
    """The embedded index of a folder of runs: a SQLite file in ``<root>/.runyard/``."""
    return f"sqlite:///{(Path(root) / DEFAULT_INDEX).resolve()}"


def normalize_url(url: str | os.PathLike[str]) -> str:
    text = os.fspath(url)
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve()}"


class Store:
    """The index: schema, connections and transactions. Thread-safe (one pool of connections)."""

    def __init__(self, url: str | os.PathLike[str], schema: str | None = None) -> None:
        self.url = normalize_url(url)
        self.schema = schema
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise ValueError(f"invalid schema name {schema!r}")
        if self.dialect == "sqlite":
            path = self.url.split(":///", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(
                self.url, connect_args={"check_same_thread": False, "timeout": 60}
            )
            sa.event.listen(self.engine, "connect", _sqlite_connect)
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
            if schema is not None:  # before the first connection: every connection uses it
                sa.event.listen(self.engine, "connect", _pg_search_path(schema))
        if not self._current():
            with self.begin() as conn:
                migration_lock(conn)
                s.migrate(conn)

    def _current(self) -> bool:
        """Whether the schema is already at this version (checked without taking a write lock)."""
        try:
            with self.read() as conn:
                versions = [r[0] for r in conn.execute(sa.select(s.schema_migrations.c.version))]
        except sa.exc.DBAPIError:
            return False  # no migrations table yet
        return bool(versions) and max(versions) == s.SCHEMA_VERSION

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """A write transaction: committed when the block ends, rolled back on an exception.

        On SQLite it starts with BEGIN IMMEDIATE: writers queue for the lock up front instead of
        failing when a read snapshot cannot be upgraded."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(runyard_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only connection (one consistent snapshot on SQLite)."""
        with self.engine.connect() as conn:
            yield conn
            conn.rollback()

    def size_bytes(self) -> int:
        """Bytes the index occupies (database file plus WAL, or the schema's relations)."""
        if self.dialect == "sqlite":
            path = Path(self.url.split(":///", 1)[1])
            total = 0
            for suffix in ("", "-wal"):
                try:
                    total += os.path.getsize(str(path) + suffix)
                except OSError:
                    pass
            return total
        with self.read() as conn:
            names = [t.name for t in s.metadata.sorted_tables]
            total = 0
            for name in names:
                total += int(conn.execute(sa.text("SELECT pg_total_relation_size(:t)"),
                                          {"t": f'"{self.schema}"."{name}"' if self.schema else name}
                                          ).scalar_one())
            return total

    def checkpoint(self) -> None:
        """Fold the SQLite WAL into the database file (no-op on PostgreSQL)."""
        if self.dialect == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def clear(self) -> None:
        """Delete every indexed row (the schema stays); ``reindex`` then rebuilds from the logs."""
        tables = [t for t in s.metadata.sorted_tables if t is not s.schema_migrations]
        with self.begin() as conn:
            if self.dialect == "postgresql":  # restart identities too: a rebuild numbers rows alike
                conn.execute(sa.text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY"))
            else:
                for table in reversed(tables):
                    conn.execute(sa.delete(table))

    def drop_schema(self) -> None:
        """Drop the PostgreSQL schema given at construction, with everything in it (tests)."""
        if self.dialect == "postgresql" and self.schema:
            self.engine.dispose()
            engine = sa.create_engine(self.url)
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            engine.dispose()

    def close(self) -> None:
        self.engine.dispose()


MIGRATION_LOCK = 0x72796172  # "ryar": the advisory lock id every runyard process migrates under


def migration_lock(conn: sa.Connection) -> None:
    """Hold the migration lock until ``conn``'s transaction ends (PostgreSQL: an advisory lock, so
    server processes starting together migrate one after the other and the later ones find the
    schema current; SQLite: the write transaction is already exclusive)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})


def driver_executemany(conn: sa.Connection, sql: str, params: Iterable[Sequence[Any]]) -> None:
    """``sql`` (qmark parameters) once per item of ``params`` through the SQLite driver's own
    executemany, inside the caller's transaction: SQLAlchemy's handling of each row's parameters
    costs more than SQLite's statement does (about 8 µs a row)."""
    cur: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(sql, params)  # sqlite3 takes any iterable
    finally:
        cur.close()


def insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) into ``table`` inside the caller's transaction: one
    COPY on PostgreSQL (per row about a fifth of what an executemany costs the client, and less for
    the server), the driver's own executemany on SQLite (SQLAlchemy's handling of each row's
    parameters cost more than SQLite's insert; no column type there processes its values). Text
    columns get the same NUL escaping as bound values (``AnyText``)."""
    if not rows:
        return
    cols = list(rows[0])
    dbapi: Any = conn.connection.dbapi_connection  # in the caller's transaction
    if conn.dialect.name == "sqlite":
        names = ", ".join(f'"{c}"' for c in cols)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(cols))})'
        driver_executemany(conn, sql, map(itemgetter(*cols), rows) if len(cols) > 1
                           else ((row[cols[0]],) for row in rows))
        return
    if conn.dialect.name != "postgresql":
        conn.execute(sa.insert(table), rows)
        return
    escape = [isinstance(table.c[c].type, s.AnyText) for c in cols]
    names = ", ".join(f'"{c}"' for c in cols)
    types = _binary_copy_types(table, tuple(cols), conn.dialect)
    form = " (FORMAT BINARY)" if types else ""
    with dbapi.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN{form}') as copy:
        if types:
            copy.set_types(types)
        if not any(escape):  # no text column: the values as they are
            get = itemgetter(*cols) if len(cols) > 1 else (lambda row: (row[cols[0]],))
            for row in rows:
                copy.write_row(get(row))
            return
        for row in rows:
            copy.write_row([s._escape_nul(row[c]) if e else row[c] for c, e in zip(cols, escape, strict=True)])


# PostgreSQL's names, for psycopg's binary COPY, of the column types the schema uses
_PG_BINARY_TYPES = {"BIGINT": "int8", "INTEGER": "int4", "FLOAT": "float8", "DOUBLE PRECISION": "float8",
                    "TEXT": "text", "BYTEA": "bytea", "BOOLEAN": "bool"}
# _binary_copy_types' answers by (table, columns): any PostgreSQL dialect names the types alike, and
# every store has a dialect of its own (a cache keyed on it would grow with the stores)
_binary_types: dict[tuple[sa.Table, tuple[str, ...]], list[str] | None] = {}


def _binary_copy_types(table: sa.Table, cols: tuple[str, ...], dialect: sa.Dialect) -> list[str] | None:
    """The types to COPY ``cols`` of ``table`` in binary, or None when one has no binary form here
    (then text COPY). Binary COPY sends bytes as they are, where text COPY doubles them into hex for
    the client to write and the server to parse: 30,000 rows shaped like a series' tail (600 bytes
    of points each) cost the sending process 5.8-7.5 µs a row as text, 1.6-2.1 µs in binary, and
    benchmarks/server_load.py at 600 runs went from 339k-341k to 418k-443k points/s."""
    key = (table, cols)
    if key not in _binary_types:
        names = []
        for c in cols:
            type_ = table.c[c].type
            impl = type_.impl_instance if isinstance(type_, sa.types.TypeDecorator) else type_
            names.append(_PG_BINARY_TYPES.get(impl.compile(dialect=dialect)))
        _binary_types[key] = None if None in names else [n for n in names if n is not None]
    return _binary_types[key]


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN, so every transaction (reads too) is real.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()
    dbapi_conn.create_function("runyard_regexp", 2, _regexp, deterministic=True)


def _regexp(pattern: str | None, text: str | None) -> int:
    """``$regex`` in SQLite: RE2 (linear time in the text), so no filter can hold a worker."""
    if pattern is None or text is None:
        return 0
    return 1 if compile_pattern(pattern)(text) else 0


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("runyard_write") else "BEGIN")


def _pg_search_path(schema: str) -> Any:
    def connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        cur.execute(f'SET search_path TO "{schema}"')
        cur.close()
        dbapi_conn.commit()

    return connect
