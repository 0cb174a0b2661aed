"""The team server's own tables: what is *not* a cache (see ``docs/team-server.md``).

The index tables (``schema``) are rebuildable from run logs and may be dropped by a migration.
On a team server the run logs themselves live in the database (``log_segments``), with the
users, keys and ownership that say who may read them, so these tables have their own metadata
and migrations and are never dropped. They are keyed by names (project, run id), not by the
index's row numbers, so a rebuilt index finds them again.

Tables
    team_migrations  versions applied
    entities         a user's own entity or a team: the owners of projects
    users            people (and robots) holding keys; each has an entity of the same name
    members          which users belong to which team entities
    api_keys         sha256 of each key (never the key), with a short prefix to tell keys apart
    sessions         sha256 of each sign-in session token, with its expiry
    project_owners   each project: its key (what URLs, the index and the tables below name it
                     by), its owning entity and its name, unique per entity (docs/team-server.md,
                     "Projects and entities")
    online_runs      per streamed run: the acknowledged end offset of its log, the log's head and
                     the user who streamed its first batch
    log_segments     the run logs: the bytes of each accepted batch, at its offset
    run_blobs        per run, each file path (``media/...``, ``files/...``) and its content hash
    artifact_numbers the server's version numbers: (project, name, manifest digest) -> vN
                     (docs/artifacts.md, "On a team server"); clients number locally, the
                     server renumbers their run logs' artifact records by digest
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from .schema import BigInt, add_column, lz4_storage

# 2: artifact_numbers; 3: project names unique per entity (project_owners.name); 4: log segments
# stored without pglz (_segments_storage); 5: online_runs.user_name (_user_names)
TEAM_SCHEMA_VERSION = 5

metadata = sa.MetaData()

team_migrations = sa.Table(
    "team_migrations", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.Float, nullable=False),
)

entities = sa.Table(
    "entities", metadata,
    sa.Column("pk", BigInt, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("kind", sa.Text, nullable=False),  # "user" or "team"
    sa.Column("created_at", sa.Float, nullable=False),
)

users = sa.Table(
    "users", metadata,
    sa.Column("pk", BigInt, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("entity_pk", BigInt, nullable=False),
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

members = sa.Table(
    "members", metadata,
    sa.Column("entity_pk", BigInt, primary_key=True, autoincrement=False),
    sa.Column("user_pk", BigInt, primary_key=True, autoincrement=False),
)

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("pk", BigInt, primary_key=True, autoincrement=True),
    sa.Column("user_pk", BigInt, nullable=False),
    sa.Column("hash", sa.Text, nullable=False, unique=True),
    sa.Column("prefix", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("hash", sa.Text, primary_key=True),
    sa.Column("user_pk", BigInt, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

project_owners = sa.Table(
    "project_owners", metadata,
    sa.Column("project", sa.Text, primary_key=True),  # the key: the name, or "entity:name" (see above)
    sa.Column("entity_pk", BigInt, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("name", sa.Text),  # the project's name within its entity (version 3; filled by the migration)
)
owner_names = sa.Index("project_owners_entity_name", project_owners.c.entity_pk, project_owners.c.name, unique=True)

online_runs = sa.Table(
    "online_runs", metadata,
    sa.Column("project", sa.Text, primary_key=True),
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("end_offset", BigInt, nullable=False),  # bytes of the log held, from offset 0
    sa.Column("head", sa.LargeBinary, nullable=False),  # first 16 bytes: the log's identity
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("user_name", sa.Text),  # the user who streamed its first batch: the run's user (version 5)
)

log_segments = sa.Table(
    "log_segments", metadata,
    sa.Column("project", sa.Text, primary_key=True),
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("start", BigInt, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

run_blobs = sa.Table(
    "run_blobs", metadata,
    sa.Column("project", sa.Text, primary_key=True),
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("path", sa.Text, primary_key=True),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("size", BigInt, nullable=False),
)

artifact_numbers = sa.Table(
    "artifact_numbers", metadata,
    sa.Column("project", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("digest", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("project", "name", "digest", name="artifact_numbers_digest"),
)


def migrate(conn: sa.Connection) -> None:
    """Create the team tables when missing. Call it under ``db.migration_lock``."""
    team_migrations.create(conn, checkfirst=True)
    applied = {row[0] for row in conn.execute(sa.select(team_migrations.c.version))}
    if applied and max(applied) > TEAM_SCHEMA_VERSION:
        raise RuntimeError(f"the team tables were written by a newer runyard (version {max(applied)} > "
                           f"{TEAM_SCHEMA_VERSION}); upgrade runyard")
    if TEAM_SCHEMA_VERSION not in applied:
        if 3 not in applied and sa.inspect(conn).has_table("project_owners"):  # made by version 1 or 2
            _names_per_entity(conn)
        metadata.create_all(conn, checkfirst=True)
        _user_names(conn)
        _segments_storage(conn)
        conn.execute(sa.insert(team_migrations).values(version=TEAM_SCHEMA_VERSION, applied_at=time.time()))


def _segments_storage(conn: sa.Connection) -> None:
    """Version 4: a log segment (a batch's frames, tens of kB) compressed with lz4, not pglz
    (``schema.lz4_storage``). A run log's floats barely compress: pglz took 0.91 ms of the
    server's CPU per 31 kB segment of rows of 100 floats and then stored it as it was; lz4 took
    0.21 ms and saved 14%, no compression 0.14 ms."""
    lz4_storage(conn, log_segments.name)


def _user_names(conn: sa.Connection) -> None:
    """Version 5: ``online_runs.user_name``. Runs streamed before have none (their index rows name
    the OS login their logs record, if any: ``RunState.user``)."""
    add_column(conn, online_runs.name, "user_name")


def _names_per_entity(conn: sa.Connection) -> None:
    """Version 3: a project's name is unique per entity, not per server. Projects made before keep
    their key, which was their name; the name column is added and filled from it, and one entity
    can then not have two projects of one name (the unique index ``create_all`` adds)."""
    add_column(conn, project_owners.name, "name")
    conn.execute(sa.update(project_owners).where(project_owners.c.name.is_(None)).values(name=project_owners.c.project))
    owner_names.create(conn, checkfirst=True)
