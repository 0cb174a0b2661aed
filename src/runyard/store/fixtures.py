"""Small real run logs for tests and benchmarks, written frame by frame (no SDK needed)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

from ..log.framing import MAGIC, frame
from ..log.records import Kind, encode


class LogWriter:
    """Append records to ``<root>/<project>/<run_id>/run.rylog`` the way the SDK's writer does."""

    def __init__(self, root: str | os.PathLike[str], project: str, run_id: str,
                 config: dict[str, Any] | None = None, name: str | None = None,
                 tags: list[str] | None = None, created_at: float | None = None,
                 alive: bool = False) -> None:
        self.folder = Path(root) / project / run_id
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "run.rylog"
        self.t0 = time.time() if created_at is None else created_at
        self.step = 0
        with open(self.path, "wb") as f:
            f.write(MAGIC)
        start = {"id": run_id, "project": project, "entity": "local", "name": name or f"run-{run_id}",
                 "config": config or {}, "tags": tags or [], "metadata": {"host": "test"},
                 "created_at": self.t0,
                 # alive: claim this process, so the run reads as running until it ends
                 "pid": os.getpid() if alive else 0, "host": socket.gethostname(), "pid_start": ""}
        self.write([Kind.START, start])

    def write(self, *records: list[Any]) -> None:
        with open(self.path, "ab") as f:
            f.write(b"".join(frame(encode(r)) for r in records))

    def raw(self, data: bytes) -> None:
        with open(self.path, "ab") as f:
            f.write(data)

    def row(self, data: dict[str, Any], step: int | None = None, dt: float = 0.01) -> None:
        if step is not None:
            self.step = step
        self.write([Kind.ROW, self.step, self.t0 + self.step * dt, self.step * dt, data])
        self.step += 1

    def end(self, exit_code: int = 0) -> None:
        self.write([Kind.END, self.t0 + self.step * 0.01, self.step * 0.01, exit_code, {}])


_PG_URL: list[str | None] = []


def postgres_url() -> str | None:
    """A URL of the PostgreSQL on 127.0.0.1:5432 (database ``test``), or None when it is absent."""
    if _PG_URL:
        return _PG_URL[0]
    found = None
    try:
        import psycopg
    except ImportError:
        _PG_URL.append(None)
        return None
    for user in ("postgres", "root", os.environ.get("USER", "")):
        if not user:
            continue
        try:
            with psycopg.connect(host="127.0.0.1", port=5432, dbname="test", user=user, connect_timeout=3):
                found = f"postgresql://{user}@127.0.0.1:5432/test"
                break
        except Exception:  # noqa: BLE001 - any failure means "not usable here"
            continue
    _PG_URL.append(found)
    return found


def unique_schema() -> str:
    import uuid

    return f"rytest_{os.getpid()}_{uuid.uuid4().hex[:8]}"
