"""A run whose log cannot be indexed stays listed, with the reason, instead of vanishing.

``record_failure`` is called by ingest when a run fails (a database limit, a value the index
cannot hold, a bug): in its own transaction it makes sure the run has a row in ``runs`` and sets
``flags.index_error`` to what went wrong. Everything indexed before stays; the next successful
ingest of the run rewrites its flags (docs/http-api.md, "flags").
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import sqlalchemy as sa

from ..log.reader import RunFolder
from ..log.state import CRASHED, RunState
from . import schema as s
from .db import Store

MAX_MESSAGE = 500


def describe(exc: BaseException) -> str:
    """A short reason: the database's own message without the statement and its parameters."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).split("\n[SQL:", 1)[0].strip()
    message = f"{type(orig if orig is not None else exc).__name__}: {text}"
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


INT64_MAX = 2**63 - 1


def _state(folder: Path) -> RunState | None:
    try:
        state, _ = RunFolder(folder).load_state()
    except Exception:  # noqa: BLE001 - an unreadable log: fall back on the folder's names
        return None
    return state if state.id else None


def record_failure(store: Store, root: Path, folder: Path, exc: BaseException) -> None:
    """List the run of ``folder`` with ``flags.index_error`` (best effort: never raises)."""
    state = _state(folder)
    project = state.project if state is not None else folder.parent.name
    run_id = state.id if state is not None else folder.name
    error = {"message": describe(exc), "at": time.time()}
    try:
        with store.begin() as conn:
            ppk = conn.execute(sa.select(s.projects.c.pk).where(s.projects.c.name == project)).scalar()
            if ppk is None:
                ppk = conn.execute(sa.insert(s.projects).values(entity="local", name=project,
                                                                created_at=time.time())
                                   .returning(s.projects.c.pk)).scalar_one()
            row = conn.execute(sa.select(s.runs.c.pk, s.runs.c.flags).where(
                s.runs.c.project_pk == ppk, s.runs.c.run_id == run_id)).first()
            seq = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(s.runs.c.seq), 0))).scalar_one()) + 1
            if row is not None:
                flags = json.loads(row[1] or "{}")
                flags["index_error"] = error
                conn.execute(sa.update(s.runs).where(s.runs.c.pk == row[0])
                             .values(flags=json.dumps(flags), seq=seq, updated_at=time.time()))
                return
            rel = str(folder.relative_to(root)) if folder.is_relative_to(root) else str(folder)
            conn.execute(sa.insert(s.runs).values(
                project_pk=ppk, run_id=run_id, path=rel, name=state.name if state else run_id,
                state=state.state if state else CRASHED, created_at=state.created_at if state else 0.0,
                updated_at=time.time(), runtime=state.runtime if state else 0.0,
                last_step=min(state.last_step, INT64_MAX) if state else -1,
                rows=state.rows if state else 0, tags="[]", config="{}", summary="{}", metadata="{}",
                flags=json.dumps({"index_error": error}), seq=seq))
    except Exception:  # noqa: BLE001 - the index itself is unusable: the log line is all we can do
        return
