"""``runyard server`` (a team server) and ``runyard server admin ...`` as click commands.

``runyard server --db URL --blobs s3://bucket/prefix --s3-endpoint URL | --blobs DIR --workers N``
serves the same UI and API as ``runyard ui`` from PostgreSQL and a blob store, with keys on
(``docs/team-server.md``). The processes are stateless: start any number, on any hosts, against
one database and one bucket. ``--workers`` forks that many uvicorn processes on one port; each
builds its app from ``RUNYARD_SERVER_*`` variables (``app_from_env``), since a worker is a fresh
interpreter.
"""

from __future__ import annotations

import os
from typing import Any

_ENV_DB, _ENV_BLOBS, _ENV_ENDPOINT = "RUNYARD_SERVER_DB", "RUNYARD_SERVER_BLOBS", "RUNYARD_SERVER_S3_ENDPOINT"
_ENV_SCHEMA = "RUNYARD_SERVER_DB_SCHEMA"
_ENV_THREADS = "RUNYARD_SERVER_INGEST_THREADS"


def default_ingest_threads(processes: int, cores: int | None = None) -> int:
    """Ingest threads per server process when not given: two, or the host's cores shared among
    its processes when that is fewer (at least one). Each thread applies groups of batches in
    transactions of its own; two let a process decode one group while the database writes
    another. Two processes sharing 2 cores did better with one each (``server_load.py``, 1,000
    runs, runs alternated: log->visible p99 6.8-11.0 s, median 8.4 s of ten, against 8.0-12.9 s,
    median 10.7 s of seven with two each; the servers' CPU 32-37 s against 37-38 s): their
    threads contended for the cores and split the waiting batches into smaller groups, which cost
    more a batch. One process alone did better with two (500 runs: p99 6.5-7.4 s against
    7.8-8.2 s)."""
    from ..store.online import INGEST_THREADS

    cores = cores if cores is not None else (os.cpu_count() or 1)
    return min(INGEST_THREADS, max(1, cores // processes))


def app_from_env() -> Any:
    """The team server's app, configured by ``RUNYARD_SERVER_DB`` / ``_BLOBS`` / ``_S3_ENDPOINT``
    (the uvicorn factory of ``--workers``)."""
    from ..store.blobs import open_blob_store
    from ..store.online import INGEST_THREADS
    from .app import create_app

    blobs = open_blob_store(os.environ[_ENV_BLOBS], endpoint=os.environ.get(_ENV_ENDPOINT) or None)
    return create_app(None, os.environ[_ENV_DB], schema=os.environ.get(_ENV_SCHEMA) or None, blobs=blobs,
                      ingest_threads=int(os.environ.get(_ENV_THREADS) or INGEST_THREADS))


def _db_option(f: Any) -> Any:
    import click

    f = click.option("--db-schema", "db_schema", envvar=_ENV_SCHEMA, default=None, metavar="NAME",
                     help=f"A PostgreSQL schema for every table (several servers in one database). "
                          f"Default: ${_ENV_SCHEMA}.")(f)
    return click.option("--db", "db", envvar=_ENV_DB, required=True, metavar="URL",
                        help=f"The database: postgresql://user@host/db (or an SQLite path for one process). "
                             f"Default: ${_ENV_DB}.")(f)


def server_command() -> Any:
    import click

    @click.group("server", invoke_without_command=True,
                 help="Run a team server: PostgreSQL for the index, run logs, users and keys; a blob store "
                      "(S3-compatible or a shared folder) for media and files. `runyard server admin` "
                      "manages users and keys.")
    @click.option("--db", "db", envvar=_ENV_DB, metavar="URL",
                  help=f"postgresql://user@host/db (an SQLite path works for one process). Default: ${_ENV_DB}.")
    @click.option("--blobs", "blobs", envvar=_ENV_BLOBS, metavar="URL|DIR",
                  help=f"s3://bucket/prefix, or a folder all server processes share. Default: ${_ENV_BLOBS}.")
    @click.option("--s3-endpoint", envvar=_ENV_ENDPOINT, default=None, metavar="URL",
                  help="Endpoint of an S3-compatible store (SeaweedFS, MinIO, ...); credentials from AWS_*.")
    @click.option("--db-schema", "db_schema", envvar=_ENV_SCHEMA, default=None, metavar="NAME",
                  help=f"A PostgreSQL schema for every table (several servers in one database). "
                       f"Default: ${_ENV_SCHEMA}.")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=8080, show_default=True, type=int, help="TCP port.")
    @click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
                  help="Server processes on this port (each stateless).")
    @click.option("--ingest-threads", envvar=_ENV_THREADS, default=None, type=click.IntRange(1, 16),
                  help=f"Threads per process applying batches of online runs (or ${_ENV_THREADS}). When "
                       "not given: 2, or this host's cores divided among the --workers processes when "
                       "fewer; give it when other server processes share this host's cores.")
    @click.pass_context
    def server(ctx: click.Context, db: str | None, blobs: str | None, s3_endpoint: str | None,
               db_schema: str | None, host: str, port: int, workers: int, ingest_threads: int | None) -> None:
        if ctx.invoked_subcommand is not None:
            return
        if not db or not blobs:
            raise click.UsageError("give the database and the blob store: runyard server --db postgresql://... "
                                   "--blobs s3://bucket/prefix --s3-endpoint URL (or --blobs DIR)")
        try:
            import uvicorn

            from ..store.blobs import open_blob_store
            from .app import create_app, uvicorn_options
        except ImportError as exc:
            raise click.ClickException(f"the team server needs the 'server' extra ({exc.name} is missing): "
                                       "pip install 'runyard[server]'") from None
        os.environ.update({_ENV_DB: db, _ENV_BLOBS: blobs})
        if s3_endpoint:
            os.environ[_ENV_ENDPOINT] = s3_endpoint
        if db_schema:
            os.environ[_ENV_SCHEMA] = db_schema
        threads = ingest_threads or default_ingest_threads(workers)
        os.environ[_ENV_THREADS] = str(threads)
        try:  # fail here, once, with a clear message, rather than in every worker
            store = open_blob_store(blobs, endpoint=s3_endpoint)
            app = create_app(None, db, schema=db_schema, blobs=store, ingest_threads=threads)
        except Exception as exc:
            raise click.ClickException(f"cannot start the team server: {type(exc).__name__}: {exc}") from None
        click.echo(f"runyard server: http://{host}:{port}/ ({workers} process{'es' if workers > 1 else ''} of "
                   f"{threads} ingest thread{'s' if threads > 1 else ''}, "
                   f"index {db.split('@')[-1]}, blobs {blobs}); Ctrl+C stops")
        if workers == 1:
            uvicorn.run(app, host=host, port=port, **uvicorn_options())
        else:
            del app
            uvicorn.run("runyard.server.team_cli:app_from_env", factory=True, host=host, port=port,
                        workers=workers, **uvicorn_options())

    @server.command("reindex", help="Rebuild the team server's index from the run logs it holds (users, keys "
                                    "and logs are kept). Servers may keep running: a batch for a run not "
                                    "rebuilt yet is answered 503 and retried by its sender.")
    @_db_option
    def reindex(db: str, db_schema: str | None) -> None:
        from ..store.online import reindex as rebuild

        store = _store(db, db_schema)
        try:
            runs, records, points = rebuild(store, lambda p, r, n, k: click.echo(f"  {p}/{r}: {n} records, {k} points"))
        finally:
            store.close()
        click.echo(f"reindexed {runs} run(s): {records} records, {points} points")

    @server.group("admin", help="Manage the team server's users, teams and keys (straight in its database).")
    def admin() -> None:
        pass

    def _store(db: str, schema: str | None) -> Any:
        from ..store.db import Store, migration_lock
        from ..store.team_schema import migrate

        store = Store(db, schema=schema)
        with store.begin() as conn:
            migration_lock(conn)
            migrate(conn)
        return store

    def _run(db: str, schema: str | None, fn: Any, *args: Any) -> Any:
        from .auth import AuthError

        store = _store(db, schema)
        try:
            return fn(store, *args)
        except AuthError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            store.close()

    @admin.command("create-user", help="Create user NAME and print its API key (shown once; only a hash is kept).")
    @click.argument("name")
    @click.option("--admin", "is_admin", is_flag=True, help="The user administers the server.")
    @_db_option
    def create_user(name: str, is_admin: bool, db: str, db_schema: str | None) -> None:
        from .auth import create_user as make

        key = _run(db, db_schema, make, name, is_admin)
        click.echo(f"created user {name}; its API key (shown once, store it now: runyard login --host URL):")
        click.echo(key)

    @admin.command("create-key", help="Print a further API key for USER (shown once).")
    @click.argument("user")
    @_db_option
    def create_key(user: str, db: str, db_schema: str | None) -> None:
        from .auth import create_key as make

        click.echo(_run(db, db_schema, make, user))

    @admin.command("revoke-keys", help="Revoke every API key of USER.")
    @click.argument("user")
    @_db_option
    def revoke(user: str, db: str, db_schema: str | None) -> None:
        from .auth import revoke_keys

        click.echo(f"revoked {_run(db, db_schema, revoke_keys, user)} key(s) of {user}")

    @admin.command("create-team", help="Create team NAME (an entity owning projects) with MEMBERS.")
    @click.argument("name")
    @click.argument("members", nargs=-1)
    @_db_option
    def create_team(name: str, members: tuple[str, ...], db: str, db_schema: str | None) -> None:
        from .auth import create_team as make

        _run(db, db_schema, make, name, list(members))
        click.echo(f"created team {name}" + (f" with {', '.join(members)}" if members else ""))

    @admin.command("add-member", help="Add USER to TEAM: it sees and writes the team's projects.")
    @click.argument("team")
    @click.argument("user")
    @_db_option
    def add_member(team: str, user: str, db: str, db_schema: str | None) -> None:
        from .auth import add_member as add

        _run(db, db_schema, add, team, user)
        click.echo(f"{user} is a member of {team}")

    return server
