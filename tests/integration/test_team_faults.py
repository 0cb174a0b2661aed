"""Faults against real team-server processes on PostgreSQL and SeaweedFS: each test counts every
byte of every log, every row, point and media file afterwards — nothing lost, nothing duplicated
(docs/team-server.md, "What survives what"). Outages are seconds long, not the minutes of a real
one: the sender's logic (retry with backoff, resume from the acknowledged offset) is the same."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from runyard.log.framing import scan
from runyard.log.reader import LOG_NAME
from runyard.sdk.sender import Sender
from runyard.store import team_schema as t
from runyard.store.blobs import BlobStore, open_blob_store
from runyard.store.db import Store
from s3_server import S3Server
from team_cluster import Proxy, ServerProcess, check_exact, require_team_services, start_client, team_store

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]


@dataclass
class Cluster:
    servers: list[ServerProcess]
    proxy: Proxy
    store: Store
    blobs: BlobStore
    key: str
    s3: S3Server

    @property
    def url(self) -> str:
        return self.proxy.url

    def relaunch(self) -> None:
        for server in self.servers:
            if server.proc is None or server.proc.poll() is not None:
                server.launch()
        for server in self.servers:
            server.wait_ready()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two ``runyard server`` processes behind one loopback address, on PostgreSQL and a SeaweedFS
    of their own (one test stops it)."""
    url = require_team_services()
    tmp = tmp_path_factory.mktemp("team")
    s3 = S3Server(tmp / "weed")
    s3.start()
    store, schema, key = team_store(url, "trainer")
    # two processes sharing the machine's cores, as --workers 2 would run them: one ingest thread each
    args = ["--db", url, "--db-schema", schema, "--blobs", f"s3://{s3.bucket}/team", "--s3-endpoint", s3.endpoint,
            "--ingest-threads", "1"]
    servers = [ServerProcess(args, s3.env(), tmp / f"server{i}.log") for i in range(2)]
    c = Cluster(servers, Proxy([s.port for s in servers]), store, None, key, s3)  # type: ignore[arg-type]
    try:
        c.relaunch()  # started together: the migrations run once, under the advisory lock
        c.blobs = _blobs(s3)
        yield c
    finally:
        for server in servers:
            server.stop()
        c.proxy.close()
        if c.blobs is not None:
            c.blobs.close()
        store.drop_schema()
        store.close()
        s3.stop()


def _blobs(s3: S3Server) -> BlobStore:
    old = {k: os.environ.get(k) for k in s3.env()}
    os.environ.update(s3.env())
    try:
        return open_blob_store(f"s3://{s3.bucket}/team", endpoint=s3.endpoint)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def finish_client(proc: subprocess.Popen[str], timeout: float = 150) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    assert "finished" in out
    return err


def totals(c: Cluster, folders: list[Path], state: str = "finished") -> dict[str, int]:
    out = {"rows": 0, "bytes": 0, "files": 0, "media_rows": 0}
    with c.store.read() as conn:
        for folder in folders:
            for k, v in check_exact(conn, c.blobs, folder, state).items():
                out[k] += v
    return out


def test_each_server_says_its_ingest_threads(cluster: Cluster) -> None:
    for server in cluster.servers:
        assert "(1 process of 1 ingest thread, index" in server.log.read_text()


def test_servers_killed_and_restarted_while_20_runs_log(tmp_path: Path, cluster: Cluster) -> None:
    c = cluster
    proc, folders = start_client(tmp_path, c.url, c.key, n_runs=20, rows=300, pause=0.03)
    for victim in c.servers:  # SIGKILL each process in turn and start it again on its port
        time.sleep(1.5)
        victim.kill()
        victim.launch()
    c.relaunch()
    finish_client(proc)
    got = totals(c, folders)
    assert got["rows"] == 20 * 300 and got["files"] == 20 * 12 and got["media_rows"] == 20 * 12


def test_the_object_store_stopped_then_back(tmp_path: Path, cluster: Cluster,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    c = cluster
    proc, folders = start_client(tmp_path, c.url, c.key, n_runs=5, rows=300, pause=0.02)
    time.sleep(1.0)
    ports = dict(c.s3.ports)
    c.s3.stop()  # the store is down: media uploads answer 503, the senders retry
    time.sleep(6.0)
    import s3_server

    monkeypatch.setattr(s3_server, "free_ports", lambda n: list(ports.values()))
    c.s3.start()  # back on the same address
    finish_client(proc)
    got = totals(c, folders)
    assert got["rows"] == 5 * 300 and got["files"] == 5 * 12


def test_the_servers_unreachable_for_seconds(tmp_path: Path, cluster: Cluster) -> None:
    c = cluster
    proc, folders = start_client(tmp_path, c.url, c.key, n_runs=5, rows=300, pause=0.03)
    time.sleep(1.0)
    for server in c.servers:  # the network to the servers is cut: nothing answers
        server.stop()
    time.sleep(6.0)
    c.relaunch()
    finish_client(proc)
    got = totals(c, folders)
    assert got["rows"] == 5 * 300 and got["files"] == 5 * 12


def runyard_cli(*args: str, env: dict[str, str]) -> Any:
    """The ``runyard`` command, run in this process (a subprocess would spend seconds importing)."""
    from click.testing import CliRunner

    from runyard.cli import main

    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result


def test_a_client_killed_mid_upload_then_sync_and_a_batch_sent_twice(tmp_path: Path, cluster: Cluster) -> None:
    c = cluster
    proc, folders = start_client(tmp_path, c.url, c.key, n_runs=2, rows=20_000, pause=0.002)
    deadline = time.monotonic() + 60
    held = 0
    while time.monotonic() < deadline and held < 100_000:  # part of the log is on the server
        with c.store.read() as conn:
            ends = conn.execute(sa.select(t.online_runs.c.end_offset).where(
                t.online_runs.c.run_id.in_([f.name for f in folders]))).scalars().all()
            held = min(ends) if len(ends) == 2 else 0
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    assert held >= 100_000
    for folder in folders:
        assert scan(folder / LOG_NAME).valid_end > held  # an unsent tail is left
    env = {"RUNYARD_BASE_URL": c.url, "RUNYARD_CONFIG_DIR": str(tmp_path / "cfg")}
    login = runyard_cli("login", "--host", c.url, c.key, env=env)
    assert login.exit_code == 0 and "logged in" in login.output
    plan = runyard_cli("sync", str(tmp_path / "runs"), "--dry-run", env=env)
    assert plan.exit_code == 0 and plan.output.count("would send") == 2 and "nothing sent" in plan.output
    first = runyard_cli("sync", str(tmp_path / "runs"), env=env)
    assert first.exit_code == 0 and "synced 2 runs" in first.output, first.output
    got = totals(c, folders, state="crashed")
    again = runyard_cli("sync", str(tmp_path / "runs"), "--include-synced", env=env)
    assert again.exit_code == 0 and "0.0 kB of log sent" in again.output, again.output
    # a batch sent twice: a sender that forgot what the server acknowledged resends from 0
    forgetful = Sender(folders[0], c.url, c.key, "faults", folders[0].name)
    forgetful.acked = 0
    assert forgetful.step() and forgetful.acked == scan(folders[0] / LOG_NAME).valid_end
    assert forgetful.sent_bytes == 0
    forgetful.client.close()
    assert totals(c, folders, state="crashed") == got


def test_a_refused_key_is_one_clear_error_and_the_run_goes_on_offline(cluster: Cluster,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     capfd: pytest.CaptureFixture[str]) -> None:
    import runyard

    c = cluster
    monkeypatch.setenv("RUNYARD_BASE_URL", c.url)
    monkeypatch.setenv("RUNYARD_API_KEY", "ry_not-a-key")
    run = runyard.init(project="keys", mode="online")
    run.log({"a": 1.0})
    run.finish()
    err = capfd.readouterr().err
    assert err.count("refused the API key") == 1 and f"runyard sync {run.dir}" in err
    assert runyard.Api(root=run.root).run(f"keys/{run.id}").summary["a"] == 1.0
    with c.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.log_segments)
                            .where(t.log_segments.c.run_id == run.id)).scalar_one() == 0
    monkeypatch.setenv("RUNYARD_API_KEY", c.key)
    done = runyard_cli("sync", run.dir, env={"RUNYARD_BASE_URL": c.url, "RUNYARD_API_KEY": c.key})
    assert done.exit_code == 0 and "synced 1 run " in done.output
    remote = runyard.Api(base_url=c.url, api_key=c.key).run(f"keys/{run.id}")
    assert remote.summary["a"] == 1.0 and remote.state == "finished"



def test_an_entity_the_key_cannot_write_to_is_said_at_init(cluster: Cluster, monkeypatch: pytest.MonkeyPatch,
                                                           capfd: pytest.CaptureFixture[str]) -> None:
    """``init(entity=...)`` of an entity the key may not write to: one line at ``init`` saying so
    and what to do; the run is written offline, nothing reaches the server."""
    import runyard

    c = cluster
    monkeypatch.setenv("RUNYARD_BASE_URL", c.url)
    monkeypatch.setenv("RUNYARD_API_KEY", c.key)
    run = runyard.init(project="theirs", entity="someone-else", mode="online")
    err = capfd.readouterr().err
    assert "cannot write to entity 'someone-else'" in err and f"runyard sync {run.dir}" in err
    assert "streaming run" not in err and run.entity == "someone-else"
    run.log({"a": 1.0})
    run.finish()
    assert runyard.Api(root=run.root).run(f"theirs/{run.id}").summary["a"] == 1.0
    with c.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.log_segments)
                            .where(t.log_segments.c.run_id == run.id)).scalar_one() == 0
