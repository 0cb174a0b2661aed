"""Deleting a run for good (docs/read-api.md, "Deleting a run"): what the index and a team
server's tables hold of it, and the one rule both sides apply before anything goes.

The rule: a run still running is refused (its writer would go on, or its sender would resend it
from offset 0), and so is a run that logged artifact versions. The index knows those versions
through the run's log (``artifact_events``), so they would leave the index with it, while the
local registry (or another run's use) still names them; runyard does not delete artifacts with a
run. The folder itself is removed by the run log's owner (``log.runlog.remove_run``)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from ..errors import UsageError
from ..log.runlog import RunLockedError, remove_run
from . import schema as s
from . import team_schema as t

__all__ = ["RunNotRemovable", "check_removable", "drop_held", "logged_versions", "remove_folder"]


class RunNotRemovable(UsageError):
    """A run that cannot be deleted as it is (running, or the producer of artifact versions)."""


def check_removable(run: str, running: bool, versions: list[str]) -> None:
    """Raise ``RunNotRemovable`` saying why ``run`` cannot be deleted; nothing when it can."""
    if running:
        raise RunNotRemovable(f"run {run} is still running; it can be deleted once it has finished or crashed")
    if versions:
        shown = ", ".join(versions[:5]) + (f" and {len(versions) - 5} more" if len(versions) > 5 else "")
        raise RunNotRemovable(f"run {run} logged artifact versions ({shown}); runyard does not delete artifacts "
                              "with a run, and they are known through its log, so the run is kept")


def remove_folder(run: str, log_path: Path, versions: list[str]) -> None:
    """Delete a folder run whose log is ``log_path`` and which logged ``versions``, or raise
    ``RunNotRemovable``. A process writing the run holds its log's lock: that, not a state read
    before, says it is running."""
    check_removable(run, False, versions)
    try:
        remove_run(log_path)
    except RunLockedError:
        check_removable(run, True, [])


def logged_versions(conn: sa.Connection, run_pk: int) -> list[str]:
    """``name:vN`` of each artifact version the indexed run logged."""
    ae = s.artifact_events
    rows = conn.execute(sa.select(ae.c.name, ae.c.version).where(ae.c.run_pk == run_pk, ae.c.action == "logged")
                        .distinct().order_by(ae.c.name, ae.c.version)).all()
    return [f"{name}:v{version}" for name, version in rows]


def drop_held(conn: sa.Connection, project: str, run_id: str) -> None:
    """Remove what a team server holds of the run: its log segments, its acknowledged offset and
    its file hashes. The blobs themselves stay in the blob store (other runs may share them)."""
    for table in (t.log_segments, t.online_runs, t.run_blobs):
        conn.execute(sa.delete(table).where(table.c.project == project, table.c.run_id == run_id))
