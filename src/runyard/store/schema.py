"""The index schema: one definition for SQLite and PostgreSQL, with a migrations table.

The index is a rebuildable cache of the run logs (``runyard reindex`` rebuilds it from the logs
alone), so a migration that cannot be expressed as DDL may simply drop and rebuild. Every table
is created through SQLAlchemy Core, so both engines see the same columns and the query layer
(``runyard.store.db``) is written once.

Tables
    schema_migrations  version numbers applied, with the time they were applied
    projects           one row per project folder
    runs               one row per run: columns the runs table sorts on, config/summary/... as JSON
    run_fields         flattened config/summary/tags values of each run (EAV), for filter and sort
    run_keys           keys of each run's history with their value kinds (docs/semantics.md, "One key, one kind")
    project_keys       per project, each (key, kinds) pair and how many runs log it: ``run_keys`` summed
                       up by ingest as it writes them, so a project's keys are read, not grouped
    run_metrics        each run's ``define_metric`` declarations (name, step metric)
    cursors            how far each run log was ingested, with the derived state at that offset
    series             one numeric series per (run, key): point count and monotonic axes
    chunks             the points of a series, CHUNK points per row, compressed (``codec``)
    tiers              precomputed downsampling buckets of a series per level (``series``)
    tails              points appended to a series in small batches, raw, not yet sealed into
                       chunks and tiers (``series``, "The live tail")
    hists              histogram values per (run, key, step), for the steps x bins heat map
    media              typed media references per (run, key, step, item)
    output             captured console output, one row per OUTPUT record
    artifact_events    ARTIFACT records (a run logged, used or linked an artifact version), from
                       which versions, aliases and lineage are derived (docs/artifacts.md)
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

SCHEMA_VERSION = 7

metadata = sa.MetaData()

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _key(name: str, type_: Any = BigInt) -> sa.Column[Any]:
    """A column of the table's primary key whose values ingest gives (never generated)."""
    return sa.Column(name, type_, primary_key=True, autoincrement=False)


def _serial_pk() -> sa.Column[Any]:
    """``pk``: the number the database gives a new row, by which other tables refer to it."""
    return sa.Column("pk", BigInt, primary_key=True, autoincrement=True)


def _record_key(*inner: sa.Column[Any]) -> list[sa.Column[Any]]:
    """The key of rows taken from one record of a run log: the run, ``inner``, the record's offset."""
    return [_key("run_pk"), *inner, _key("offset")]


schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    _key("version", sa.Integer),
    sa.Column("applied_at", sa.Float, nullable=False),
)

projects = sa.Table(
    "projects",
    metadata,
    _serial_pk(),
    sa.Column("entity", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    _serial_pk(),
    sa.Column("project_pk", BigInt, nullable=False),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),  # run folder relative to the root
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float),
    sa.Column("heartbeat_at", sa.Float),
    sa.Column("runtime", sa.Float, nullable=False),
    sa.Column("last_step", BigInt, nullable=False),
    sa.Column("rows", BigInt, nullable=False),
    sa.Column("exit_code", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("group_name", sa.Text),
    sa.Column("job_type", sa.Text),
    sa.Column("notes", sa.Text),
    sa.Column("user_name", sa.Text),  # who the run belongs to (log.state.RunState.user); version 7
    sa.Column("tags", sa.Text, nullable=False),  # JSON list
    sa.Column("config", sa.Text, nullable=False),  # JSON object
    sa.Column("summary", sa.Text, nullable=False),  # JSON object (non-finite floats as strings)
    sa.Column("metadata", sa.Text, nullable=False),  # JSON object
    sa.Column("flags", sa.Text, nullable=False),  # JSON object: problems found while ingesting
    sa.Column("seq", BigInt, nullable=False),  # bumped on every change, drives live updates
    sa.UniqueConstraint("project_pk", "run_id", name="runs_project_run"),
)
sa.Index("runs_seq", runs.c.seq)

run_fields = sa.Table(
    "run_fields",
    metadata,
    sa.Column("run_pk", BigInt, nullable=False),
    sa.Column("field", sa.Text, nullable=False),  # "config.lr", "summary.acc", "tags"
    sa.Column("num", sa.Float),
    sa.Column("text", sa.Text),
)
sa.Index("run_fields_run", run_fields.c.run_pk, run_fields.c.field)
# Only this index: filters and orders are correlated on (run, field); an index on (field, num)
# tempts SQLite's planner into scanning every run's rows for each run (measured: 3x slower).

run_keys = sa.Table(
    "run_keys",
    metadata,
    _key("run_pk"),
    _key("key", sa.Text),
    sa.Column("kinds", sa.Text, nullable=False),  # JSON list, in order of first appearance
)

project_keys = sa.Table(
    "project_keys",
    metadata,
    _key("project_pk"),
    _key("key", sa.Text),
    _key("kinds", sa.Text),  # as in run_keys
    sa.Column("runs", BigInt, nullable=False),  # runs whose run_keys hold this (key, kinds)
    sa.Column("first_run", BigInt, nullable=False),  # the smallest run_pk that did: merge order
)

run_metrics = sa.Table(
    "run_metrics",
    metadata,
    _key("run_pk"),
    _key("name", sa.Text),  # a key or a "prefix/*" glob
    sa.Column("step_metric", sa.Text),
)

cursors = sa.Table(
    "cursors",
    metadata,
    _key("run_pk"),
    sa.Column("offset", BigInt, nullable=False),
    sa.Column("state", sa.LargeBinary, nullable=False),  # msgpack of RunState.to_dict() + extras
    sa.Column("updated_at", sa.Float, nullable=False),
)

series = sa.Table(
    "series",
    metadata,
    _serial_pk(),
    sa.Column("run_pk", BigInt, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("n", BigInt, nullable=False),
    sa.Column("mono", sa.Integer, nullable=False),  # bit 1: _step, 2: _timestamp, 4: _runtime
    sa.UniqueConstraint("run_pk", "key", name="series_run_key"),
)

chunks = sa.Table(
    "chunks",
    metadata,
    _key("series_pk"),
    _key("chunk_no", sa.Integer),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("step_first", BigInt, nullable=False),
    sa.Column("step_last", BigInt, nullable=False),
    sa.Column("ts_first", sa.Float, nullable=False),
    sa.Column("ts_last", sa.Float, nullable=False),
    sa.Column("rt_first", sa.Float, nullable=False),
    sa.Column("rt_last", sa.Float, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

tiers = sa.Table(
    "tiers",
    metadata,
    _key("series_pk"),
    _key("level", sa.Integer),
    _key("chunk_no", sa.Integer),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

tails = sa.Table(
    "tails",
    metadata,
    _key("series_pk"),
    _key("start"),  # index of its first point
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),  # steps int64, then times, runtimes, values float64
)

hists = sa.Table(
    "hists",
    metadata,
    *_record_key(_key("key", sa.Text)),
    sa.Column("step", BigInt, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),  # msgpack [values, bins]
)

media = sa.Table(
    "media",
    metadata,
    *_record_key(_key("key", sa.Text)),
    _key("idx", sa.Integer),
    sa.Column("step", BigInt, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("ref", sa.Text, nullable=False),  # JSON of the typed reference
)
sa.Index("media_step", media.c.run_pk, media.c.key, media.c.step)

output = sa.Table(
    "output",
    metadata,
    *_record_key(),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("stream", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)

artifact_events = sa.Table(
    "artifact_events",
    metadata,
    *_record_key(),
    sa.Column("action", sa.Text, nullable=False),  # logged | used | linked
    sa.Column("project", sa.Text, nullable=False),  # the artifact's project (may differ from the run's)
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("digest", sa.Text, nullable=False),  # the manifest's sha256 (docs/artifacts.md, "Manifest")
    sa.Column("size", BigInt, nullable=False),
    sa.Column("files", sa.Integer, nullable=False),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("doc", sa.Text, nullable=False),  # JSON of the whole record
)
sa.Index("artifact_events_name", artifact_events.c.project, artifact_events.c.name, artifact_events.c.version)



class AnyText(sa.types.TypeDecorator[str]):
    """Text that holds every Python string on both databases. PostgreSQL's ``text`` cannot hold
    NUL, so there NUL is stored as U+E000 ``0`` and U+E000 itself as U+E000 ``e``: an exact round
    trip, and comparisons with bound values (filters) see the same escaping. SQLite stores text as
    it is (no processing at all)."""

    impl = sa.Text
    cache_ok = True

    def bind_processor(self, dialect: sa.Dialect) -> Any:
        if dialect.name != "postgresql":
            return None
        return _escape_nul

    def result_processor(self, dialect: sa.Dialect, coltype: object) -> Any:
        if dialect.name != "postgresql":
            return None
        return _unescape_nul


_ESC = "\ue000"


def _escape_nul(value: str | None) -> str | None:
    if value is None or ("\x00" not in value and _ESC not in value):
        return value
    return value.replace(_ESC, _ESC + "e").replace("\x00", _ESC + "0")


def _unescape_nul(value: str | None) -> str | None:
    if value is None or _ESC not in value:
        return value
    parts = value.split(_ESC)
    return parts[0] + "".join(("\x00" if p[:1] == "0" else _ESC) + p[1:] for p in parts[1:])


# Every text column of the index takes any string (the tables above are written with sa.Text for
# readability; this is the one place their type is made exact on PostgreSQL).
for _table in metadata.tables.values():
    for _column in _table.columns:
        if type(_column.type) is sa.Text:
            _column.type = AnyText()

# Tables holding data of one run, keyed by run_pk: what deleting a run (or re-ingesting it) clears.
RUN_TABLES = (run_fields, run_keys, run_metrics, cursors, hists, media, output, artifact_events)

# Compatible steps: version -> what brings the schema from the version before it. Logs written
# before a step's version hold none of the records its tables index, so creating them is enough.
_STEPS = {2: (artifact_events,), 3: (tails,), 4: (project_keys, run_metrics), 5: (), 6: (), 7: ()}
# ... and what fills a step's tables from what the index already holds (the logs need not be read)


def _fill_4(conn: sa.Connection) -> None:
    """``project_keys`` summed from ``run_keys``; ``run_metrics`` from each run's saved state."""
    import msgpack

    rk = run_keys
    conn.execute(sa.insert(project_keys).from_select(
        ["project_pk", "key", "kinds", "runs", "first_run"],
        sa.select(runs.c.project_pk, rk.c.key, rk.c.kinds, sa.func.count(), sa.func.min(rk.c.run_pk))
        .join(runs, runs.c.pk == rk.c.run_pk).group_by(runs.c.project_pk, rk.c.key, rk.c.kinds)))
    rows: list[dict[str, Any]] = []
    for run_pk, blob in conn.execute(sa.select(cursors.c.run_pk, cursors.c.state)):
        try:
            metrics = msgpack.unpackb(bytes(blob), raw=False, strict_map_key=False)["state"]["summary"]["metrics"]
        except (ValueError, KeyError, TypeError):
            continue
        named = {str(m.get("name")): m.get("step_metric") for m in metrics if isinstance(m, dict)}
        rows.extend({"run_pk": run_pk, "name": n, "step_metric": sm} for n, sm in named.items())
    if rows:
        conn.execute(sa.insert(run_metrics), rows)


def add_column(conn: sa.Connection, table: str, column: str, sql_type: str = "TEXT") -> None:
    """``ALTER TABLE table ADD COLUMN column`` unless the table has it already (a migration run
    over a table that ``create_all`` made with the column, or run a second time)."""
    if column not in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))


def lz4_storage(conn: sa.Connection, table: str, column: str = "data") -> None:
    """On PostgreSQL, compress ``table.column`` (a ``bytea`` of floats, which barely compress)
    with lz4, or not at all where lz4 is not built in, instead of the default pglz, which spends
    several times lz4's CPU on such values and often stores them as they were. Rows written before
    keep their form; SQLite has nothing to set."""
    if conn.dialect.name != "postgresql":
        return
    try:
        with conn.begin_nested():
            conn.execute(sa.text(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4"))
    except sa.exc.DBAPIError:  # PostgreSQL before 14, or built without lz4
        conn.execute(sa.text(f"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE EXTERNAL"))


def _fill_5(conn: sa.Connection) -> None:
    """A live series' raw tail rows compressed with lz4 (``lz4_storage``): once a batch holds 65
    rows a tail row passes PostgreSQL's 2 kB compression threshold, and pglz took 55-68 us of its
    CPU per such row (about 0.5 us per point) against lz4's 26-29 us, for 17% more space."""
    lz4_storage(conn, tails.name)


def room_for_updates(conn: sa.Connection, table: str, fillfactor: int = 50) -> None:
    """On PostgreSQL, fill the pages of ``table`` only to ``fillfactor`` percent, so that an update
    of a row finds room for its new version on the same page: a heap-only update, which adds no
    index entry and whose old version is pruned when the page is next read. Pages written before
    keep their rows where they are; SQLite has nothing to set."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"ALTER TABLE {table} SET (fillfactor = {int(fillfactor)})"))


def _fill_6(conn: sa.Connection) -> None:
    """Room for updates in ``series`` pages (``room_for_updates``): each batch of a live run
    updates the point count of every series it touches. In full pages those updates went to other
    pages, with new entries in both of the table's indexes. Replaying a team server's batches
    (``benchmarks/ingest_cost.py``: 16 runs of 100 series to a transaction, batches of 500 to
    4,500 points, twice alternately) with half-full pages, PostgreSQL's CPU per batch fell 11-32%
    (5.1-7.1 -> 4.1-5.3 ms), the wall time per batch from 5.3-7.2 to 4.8-6.7 ms."""
    room_for_updates(conn, series.name)


def _fill_7(conn: sa.Connection) -> None:
    """``runs.user_name``, from each run's saved state where it names a user (``RunState.user``,
    which a state saved before takes from its metadata; runs logged before runyard recorded the
    login have none, and their column stays empty)."""
    import msgpack

    from ..log.state import RunState

    add_column(conn, runs.name, "user_name")
    for run_pk, blob in conn.execute(sa.select(cursors.c.run_pk, cursors.c.state)).all():
        try:
            user = RunState.from_dict(msgpack.unpackb(bytes(blob), raw=False, strict_map_key=False)["state"]).user
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if user:
            conn.execute(sa.update(runs).where(runs.c.pk == run_pk).values(user_name=str(user)))


_FILLS = {4: _fill_4, 5: _fill_5, 6: _fill_6, 7: _fill_7}


def migrate(conn: sa.Connection) -> None:
    """Bring the schema to ``SCHEMA_VERSION``.

    Version 1 is the first schema; version 2 adds ``artifact_events`` and version 3 ``tails``
    (compatible steps: an older index holds no rows they would index); version 4 adds
    ``project_keys`` and ``run_metrics``, filled from ``run_keys`` and ``cursors`` (``derived``);
    version 5 stores the tails' points with lz4 on PostgreSQL (``_fill_5``) and version 6 leaves
    room for updates in the ``series`` pages there (``_fill_6``); version 7 adds
    ``runs.user_name`` (``_fill_7``). The
    index is a cache, so an incompatible version drops every table and lets ingest rebuild them
    from the logs; compatible changes add a step to ``_STEPS``.
    """
    schema_migrations.create(conn, checkfirst=True)
    applied = {row[0] for row in conn.execute(sa.select(schema_migrations.c.version))}
    if applied and max(applied) > SCHEMA_VERSION:
        raise RuntimeError(
            f"the index was written by a newer runyard (schema {max(applied)} > {SCHEMA_VERSION}); "
            "upgrade runyard or delete the index and run `runyard reindex`"
        )
    missing = range(max(applied) + 1, SCHEMA_VERSION + 1) if applied else range(0)
    if applied and SCHEMA_VERSION not in applied and all(v in _STEPS for v in missing):
        for version in missing:
            for table in _STEPS[version]:
                table.create(conn, checkfirst=True)
            if version in _FILLS:
                _FILLS[version](conn)
            conn.execute(sa.insert(schema_migrations).values(version=version, applied_at=time.time()))
        return
    if SCHEMA_VERSION not in applied:
        if applied:  # an older, incompatible cache: rebuild from the logs
            for table in reversed(metadata.sorted_tables):
                if table is not schema_migrations:
                    table.drop(conn, checkfirst=True)
        metadata.create_all(conn, checkfirst=True)
        _fill_5(conn)
        _fill_6(conn)
        conn.execute(sa.insert(schema_migrations).values(version=SCHEMA_VERSION, applied_at=time.time()))
