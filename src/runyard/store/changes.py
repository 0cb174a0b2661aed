"""Change notifications on PostgreSQL (LISTEN/NOTIFY): a change to any run wakes the live-update
streams of every server process, on every host, without each stream polling the database.

Every change to a run bumps its ``seq`` (``runs.seq``). A statement trigger on ``runs`` (after an
insert, or an update of ``seq``) calls ``pg_notify`` on the channel of the index's schema;
PostgreSQL delivers the notification when the writing transaction commits, to every connection
listening on that channel. So ingest, the crash sweeper, edits and index errors all notify,
whichever process wrote them, and nothing notifies for a transaction that rolled back.

Each server process holds one listening connection (``ChangeListener``, a thread) and wakes the
streams that wait on it (``docs/team-server.md``, "Reading from it"). Bursts are coalesced: after
a notification the listener takes the others that arrive within ``COALESCE`` seconds and wakes
each stream once. A stream still queries now and then without a notification (``FALLBACK``), and
polls while the listener is disconnected; SQLite has no notifications and streams poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

import sqlalchemy as sa

from .db import Store

log = logging.getLogger("runyard.store")

COALESCE = 0.05  # seconds of notifications folded into one wake-up
FALLBACK = 5.0  # seconds a stream waits for a notification before it queries anyway
_TRIGGER = "runyard_run_changed"
_FUNCTION = "runyard_notify_run_changed"


def channel(schema: str) -> str:
    """The notification channel of the index in ``schema``."""
    return f"runyard_runs_{schema}"


def install_trigger(conn: sa.Connection) -> None:
    """Create the notifying trigger on ``runs`` when missing (PostgreSQL; under the migration lock)."""
    if conn.dialect.name != "postgresql":
        return
    schema = str(conn.execute(sa.text("SELECT current_schema()")).scalar_one())
    exists = conn.execute(sa.text("SELECT 1 FROM pg_trigger WHERE tgname = :t AND tgrelid = 'runs'::regclass"),
                          {"t": _TRIGGER}).first()
    if exists:
        return
    # the channel is fixed when the trigger is made: a writer's search_path cannot change it
    conn.execute(sa.text(
        f"CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{channel(schema)}', ''); RETURN NULL; END $$"))
    conn.execute(sa.text(f"CREATE TRIGGER {_TRIGGER} AFTER INSERT OR UPDATE OF seq ON runs "
                         f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"))


class ChangeListener:
    """One LISTEN connection of a server process and the streams waiting on it."""

    def __init__(self, store: Store) -> None:
        url = sa.engine.make_url(store.url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._schema = store.schema
        self._waiters: dict[asyncio.Event, asyncio.AbstractEventLoop] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.listening = threading.Event()
        self.wakeups = 0
        self._thread = threading.Thread(target=self._run, name="runyard-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def subscribe(self) -> asyncio.Event:
        """An event set on every change (call from the stream's event loop)."""
        event = asyncio.Event()
        with self._lock:
            self._waiters[event] = asyncio.get_running_loop()
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        with self._lock:
            self._waiters.pop(event, None)

    def _wake(self) -> None:
        self.wakeups += 1
        with self._lock:
            waiters = list(self._waiters.items())
        for event, loop in waiters:
            with contextlib.suppress(RuntimeError):  # a loop that closed meanwhile
                loop.call_soon_threadsafe(event.set)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    if self._schema:
                        conn.execute(f'SET search_path TO "{self._schema}"')
                    name = channel(str(conn.execute("SELECT current_schema()").fetchone()[0]))  # type: ignore[index]
                    conn.execute(f'LISTEN "{name}"')
                    self._wake()  # what changed while this connection was down
                    self.listening.set()
                    while not self._stop.is_set():
                        if list(conn.notifies(timeout=1.0, stop_after=1)):
                            list(conn.notifies(timeout=COALESCE))  # the rest of a burst
                            self._wake()
            except Exception as exc:  # noqa: BLE001 - the database is down: streams poll meanwhile
                log.debug("change listener disconnected (%s); streams poll until it is back", exc)
            self.listening.clear()
            self._stop.wait(1.0)


def wait_for_change(listener: ChangeListener | None, event: asyncio.Event | None, poll: float) -> Any:
    """Await the next change: a notification (or ``FALLBACK`` seconds) when the listener listens,
    else ``poll`` seconds. Returns an awaitable."""
    if listener is None or event is None or not listener.listening.is_set():
        return asyncio.sleep(poll)

    async def wait() -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), FALLBACK)
        event.clear()

    return wait()
