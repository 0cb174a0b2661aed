"""The real server on a free loopback port: live rows within a second, server-sent events, and a
server killed mid-ingest that restarts into exactly the index an uninterrupted ingest builds."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from runyard.store import Store, reindex
from runyard.store import schema as s
from runyard.store.fixtures import LogWriter

SERVER = """
import sys, uvicorn
from runyard.store import ingest
ingest.BATCH_POINTS = int(sys.argv[4])
from runyard.server import create_app
uvicorn.run(create_app(sys.argv[1], sys.argv[2]), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, root: Path, index: Path, batch: int = 2_000_000) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(root), f"sqlite:///{index}", str(self.port), str(batch)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )

    def wait_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                health = httpx.get(self.url + "/api/health", timeout=1)
                if health.status_code == 200 and health.json()["ingested"]:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
        pytest.fail(f"the server did not come up on {self.url}; its output:\n{out}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def server(root: Path, tmp_path: Path) -> Iterator[Server]:
    LogWriter(root, "proj", "seed0000").end()
    srv = Server(root, tmp_path / "index.sqlite3")
    srv.wait_up()
    yield srv
    srv.stop()


def test_new_rows_visible_within_a_second(server: Server, root: Path) -> None:
    w = LogWriter(root, "proj", "live0001", alive=True)  # a log that appears while the server runs
    with httpx.Client(base_url=server.url, timeout=5) as http:
        for batch in range(3):
            for _ in range(100):
                w.row({"loss": float(w.step)})
            flushed = time.monotonic()
            target = w.step - 1
            while True:
                r = http.get("/api/runs/proj/live0001/series", params={"key": "loss"})
                if r.status_code == 200 and r.json()["series"][0]["x_last"][-1] == target:
                    break
                assert time.monotonic() - flushed < 1.0, f"batch {batch}: rows not visible after 1 s"
                time.sleep(0.02)
        assert http.get("/api/runs/proj/live0001").json()["state"] == "running"


def test_server_sent_events(server: Server, root: Path) -> None:
    w = LogWriter(root, "proj", "live0002", alive=True)
    w.row({"a": 1.0})
    time.sleep(0.6)  # let the run be ingested, so the stream starts after it
    events: list[tuple[str, dict[str, object]]] = []
    with httpx.Client(base_url=server.url, timeout=10) as http:
        with http.stream("GET", "/api/events", params={"project": "proj", "timeout": 6}) as resp:
            assert resp.headers["content-type"].startswith("text/event-stream")
            kind = ""
            wrote = False
            for line in resp.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line[6:])))
                    if kind == "hello" and not wrote:
                        w.row({"a": 2.0, "b": 3.0})
                        w.end()
                        wrote = True
                if any(k == "run" and d.get("state") == "finished" for k, d in events):
                    break
    runs = [d for k, d in events if k == "run" and d["id"] == "live0002"]
    assert runs, events
    assert runs[-1]["state"] == "finished" and runs[-1]["rows"] == 2
    assert any("b" in d["new_keys"] for d in runs)  # type: ignore[operator]


def test_killed_during_ingest_restarts_exactly(root: Path, tmp_path: Path) -> None:
    w = LogWriter(root, "proj", "big00001")
    chunk = 50_000
    for part in range(8):
        w.write(*[[3, i, w.t0 + i * 0.01, i * 0.01, {"a": float(i), "b": float(-i)}]
                  for i in range(part * chunk, (part + 1) * chunk)])
    w.end()
    index = tmp_path / "index.sqlite3"
    srv = Server(root, index, batch=20_000)
    probe = Store(index) if index.exists() else None
    deadline = time.monotonic() + 60
    killed_at = -1
    while time.monotonic() < deadline and srv.proc.poll() is None:
        if probe is None and index.exists():
            time.sleep(0.2)  # the server is creating the schema
            probe = Store(index)
        if probe is not None:
            with probe.read() as conn:
                offset = conn.execute(sa.select(sa.func.max(s.cursors.c.offset))).scalar()
            if offset:
                srv.proc.send_signal(signal.SIGKILL)
                srv.proc.wait(10)
                killed_at = int(offset)
                break
        time.sleep(0.01)
    if srv.proc.stdout:
        srv.proc.stdout.close()
    assert killed_at > 0, "the server never committed an ingest batch"
    assert killed_at < os.path.getsize(w.path), "ingest finished before the kill: make the log bigger"
    assert probe is not None
    probe.close()

    srv = Server(root, index, batch=20_000)  # restart: continues from the cursor
    try:
        srv.wait_up(120)
    finally:
        srv.stop()
    fresh = Store(tmp_path / "fresh.sqlite3")
    reindex(root, fresh)
    again = Store(index)

    def dump(store: Store) -> list[object]:
        with store.read() as conn:
            return [conn.execute(sa.select(t.c.n, t.c.data).order_by(*t.primary_key.columns)).all()
                    for t in (s.chunks, s.tiers)] + [
                conn.execute(sa.select(s.series.c.key, s.series.c.n, s.series.c.mono)).all(),
                conn.execute(sa.select(s.runs.c.rows, s.runs.c.summary, s.runs.c.state)).all()]

    assert dump(again) == dump(fresh)
    with again.read() as conn:
        assert conn.execute(sa.select(s.series.c.n).where(s.series.c.key == "a")).scalar_one() == 8 * chunk
    again.close()
    fresh.close()
