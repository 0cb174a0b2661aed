"""The team server in process, on real PostgreSQL and a real blob folder: keys, sessions, who sees
what, and batches applied exactly once (docs/team-server.md)."""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import runyard
from index_stores import stored_without_pglz
from runyard.server.app import create_app
from runyard.server.auth import add_member, create_team, create_user
from runyard.server.testing import InProcessClient
from runyard.store import schema as s
from runyard.store import team_schema as t
from runyard.store.blobs import LocalBlobStore
from team_cluster import ServedTeam

pytestmark = pytest.mark.postgres
_u32 = struct.Struct("<I").unpack_from


@pytest.fixture
def team(team_app: Any) -> Iterator[tuple[InProcessClient, Any]]:
    with InProcessClient(team_app) as client:
        yield client, team_app.state.store


def logged_run(n: int = 300) -> tuple[str, bytes]:
    """A finished run of ``n`` rows, one frame each (a string value keeps rows out of columnar
    ROWS blocks, so the tests can cut batches between rows)."""
    run = runyard.init(project="vision")
    for i in range(n):
        run.log({"loss": 1.0 / (i + 1), "acc": i / n, "phase": "train"})
    run.finish()
    return run.id, (Path(run.dir) / "run.rylog").read_bytes()


def frame_ends(log: bytes) -> list[int]:
    pos, ends = 8, []
    while pos < len(log):
        pos += 8 + _u32(log, pos)[0]
        ends.append(pos)
    return ends


def send(client: InProcessClient, key: str, run_id: str, start: int, data: bytes, head: bytes) -> Any:
    return client.post(f"/api/ingest/vision/{run_id}", content=data,
                       headers={"Authorization": f"Bearer {key}", "X-Runyard-Offset": str(start),
                                "X-Runyard-Head": head.hex()})


def test_keys_sessions_and_health(team: tuple[InProcessClient, Any]) -> None:
    client, store = team
    key = create_user(store, "alice")
    assert key.startswith("ry_")
    with store.read() as conn:  # only a hash is stored
        stored = conn.execute(sa.select(t.api_keys.c.hash)).scalars().all()
    assert stored == [hashlib.sha256(key.encode()).hexdigest()]
    assert client.get("/api/health").json()["team"] is True
    r = client.get("/api/projects")
    assert r.status_code == 401 and r.json()["ok"] is False and "API key" in r.json()["error"]
    assert client.get("/api/projects", headers={"Authorization": "Bearer ry_nope"}).status_code == 401
    assert client.get("/api/whoami", headers={"X-Api-Key": key}).json()["user"] == "alice"
    page = client.get("/p/vision")
    assert page.status_code == 303 and page.headers["location"].startswith("/signin?next=/p/vision")
    assert "API key" in client.get("/signin").text
    bad = client.post("/api/signin", content="key=wrong&next=/", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert bad.status_code == 401 and "session" not in bad.headers.get("set-cookie", "")
    ok = client.post("/api/signin", content=f"key={key}&next=//evil.example/x",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # never off-site
    cookie = ok.headers["set-cookie"].split(";")[0]
    assert client.get("/api/whoami", headers={"Cookie": cookie}).json()["user"] == "alice"


def test_a_batch_is_applied_exactly_once(team: tuple[InProcessClient, Any]) -> None:
    client, store = team
    key = create_user(store, "alice")
    run_id, log = logged_run()
    head = log[:16]
    ends = frame_ends(log)
    a, b = ends[len(ends) // 3], ends[2 * len(ends) // 3]
    assert send(client, key, run_id, 0, log[:a], head).json()["offset"] == a
    assert send(client, key, run_id, 0, log[:a], head).json()["applied"] == 0  # sent twice
    gap = send(client, key, run_id, b, log[b:], head)
    assert gap.status_code == 409 and gap.json()["expected_offset"] == a
    overlap = send(client, key, run_id, ends[len(ends) // 4], log[ends[len(ends) // 4]:b], head).json()
    assert overlap["offset"] == b and overlap["applied"] == b - a
    cut = send(client, key, run_id, b, log[b:-3], head)  # ends mid-frame: refused, nothing applied
    assert cut.status_code == 400 and "nothing was applied" in cut.json()["error"]
    garbled = bytearray(log[b:])
    garbled[20] ^= 0xFF
    assert send(client, key, run_id, b, bytes(garbled), head).status_code == 400
    other = send(client, key, run_id, b, log[b:], b"RYLOG\x00\x01\n" + bytes(8))
    assert other.status_code == 409 and "another log" in other.json()["error"]
    assert client.get(f"/api/ingest/vision/{run_id}", headers={"X-Api-Key": key}).json()["offset"] == b
    assert send(client, key, run_id, b, log[b:], head).json()["offset"] == len(log)
    assert send(client, key, run_id, 0, log, head).json()["applied"] == 0
    h = {"X-Api-Key": key}
    doc = client.get(f"/api/runs/vision/{run_id}", headers=h).json()
    assert doc["state"] == "finished" and doc["rows"] == 300 and doc["summary"]["acc"] == 299 / 300
    keys = {k["key"]: k["points"] for k in client.get(f"/api/runs/vision/{run_id}/keys", headers=h).json()["keys"]}
    assert keys["loss"] == 300 and keys["acc"] == 300
    rows = client.get(f"/api/runs/vision/{run_id}/history?page_size=1000", headers=h).json()["rows"]
    assert [r["_step"] for r in rows] == list(range(300))
    with store.read() as conn:
        assert b"".join(conn.execute(sa.select(t.log_segments.c.data).order_by(t.log_segments.c.start))
                        .scalars()) == log
    # an edit of name and tags from the UI is appended to the log the server holds
    edit = client.patch(f"/api/runs/vision/{run_id}", json={"name": "renamed", "tags": ["kept"]}, headers=h)
    assert edit.status_code == 200, edit.text
    assert client.get(f"/api/runs/vision/{run_id}", headers=h).json()["tags"] == ["kept"]
    with store.read() as conn:
        held = b"".join(conn.execute(sa.select(t.log_segments.c.data).order_by(t.log_segments.c.start)).scalars())
    assert held.startswith(log) and len(held) > len(log)


def test_entities_teams_and_nothing_leaks(team: tuple[InProcessClient, Any]) -> None:
    client, store = team
    alice, bob, carol = create_user(store, "alice"), create_user(store, "bob"), create_user(store, "carol")
    create_team(store, "lab", ["alice"])
    run_id, log = logged_run(20)
    r = client.post(f"/api/ingest/vision/{run_id}?entity=lab", content=log,
                    headers={"X-Api-Key": alice, "X-Runyard-Offset": "0", "X-Runyard-Head": log[:16].hex()})
    assert r.status_code == 200
    assert client.post(f"/api/ingest/other/{run_id}?entity=lab", content=log,
                       headers={"X-Api-Key": bob, "X-Runyard-Offset": "0"}).status_code == 403
    for path in (f"/api/runs/vision/{run_id}", "/api/projects/vision/runs", f"/api/runs/vision/{run_id}/history",
                 f"/api/ingest/vision/{run_id}?entity=lab"):
        denied = client.get(path, headers={"X-Api-Key": bob})
        assert denied.status_code == 403 and run_id not in denied.text and "vision" not in denied.json()["error"]
    # bob's own project "vision" (names are unique per entity) holds nothing of that run
    assert client.get(f"/api/ingest/vision/{run_id}", headers={"X-Api-Key": bob}).json() == {"offset": 0}
    assert client.get("/api/projects", headers={"X-Api-Key": bob}).json()["projects"] == []
    events = client.get("/api/events?since=0&timeout=0.3", headers={"X-Api-Key": bob}).text
    assert run_id not in events
    add_member(store, "lab", "carol")
    projects = client.get("/api/projects", headers={"X-Api-Key": carol}).json()["projects"]
    assert [(p["name"], p["entity"]) for p in projects] == [("vision", "lab")]
    assert client.get(f"/api/runs/vision/{run_id}", headers={"X-Api-Key": carol}).json()["rows"] == 20


def test_blobs_by_hash(team: tuple[InProcessClient, Any]) -> None:
    client, store = team
    key = create_user(store, "alice")
    h = {"X-Api-Key": key}
    run_id, log = logged_run(5)
    send(client, key, run_id, 0, log, log[:16])
    data = b"\x89PNG fake but honest bytes"
    digest = hashlib.sha256(data).hexdigest()
    assert client.post("/api/blobs/missing", json={"hashes": [digest]}, headers=h).json()["missing"] == [digest]
    path = f"media/image/{digest}.png"
    early = client.post(f"/api/ingest/vision/{run_id}/files", json={"files": [{"path": path, "sha256": digest, "size": len(data)}]},
                        headers=h)
    assert early.status_code == 409 and digest in early.json()["error"]
    wrong = client.request("PUT", f"/api/blobs/{digest}", content=data + b"!", headers=h)
    assert wrong.status_code == 400 and "nothing was stored" in wrong.json()["error"]
    assert client.post("/api/blobs/missing", json={"hashes": [digest]}, headers=h).json()["missing"] == [digest]
    assert client.request("PUT", f"/api/blobs/{digest}", content=data, headers=h).json()["created"] is True
    assert client.post(f"/api/ingest/vision/{run_id}/files",
                       json={"files": [{"path": path, "sha256": digest, "size": len(data)}]}, headers=h).json()["ok"]
    got = client.get(f"/api/runs/vision/{run_id}/files/{path}", headers=h)
    assert got.content == data and got.headers["content-type"] == "image/png"
    part = client.get(f"/api/runs/vision/{run_id}/files/{path}", headers={**h, "Range": "bytes=1-3"})
    assert part.status_code == 206 and part.content == data[1:4]
    listed = client.get(f"/api/runs/vision/{run_id}/files", headers=h).json()["files"]
    assert [f["path"] for f in listed] == [path]
    escape = client.post(f"/api/ingest/vision/{run_id}/files",
                         json={"files": [{"path": "media/../../etc/passwd", "sha256": digest, "size": 1}]}, headers=h)
    assert escape.status_code == 400


def test_runyard_ui_with_keys_serves_its_folder_to_key_holders_only(tmp_path: Path) -> None:
    run_id, _ = logged_run(10)
    app = create_app(Path(runyard.Api().root), tmp_path / "index.sqlite3", keys=True, follow=False)
    key = create_user(app.state.store, "me")
    with InProcessClient(app) as client:
        assert client.get("/api/projects").status_code == 401
        assert client.get("/api/health").json()["keys"] is True
        doc = client.get(f"/api/runs/vision/{run_id}", headers={"X-Api-Key": key}).json()
        assert doc["rows"] == 10
        history = client.get(f"/api/runs/vision/{run_id}/history", headers={"X-Api-Key": key}).json()
        assert len(history["rows"]) == 10  # the folder routes still read the run's own log


def test_a_silent_online_run_is_swept_to_crashed_and_comes_back(team: tuple[InProcessClient, Any]) -> None:
    import time

    from runyard.server.team import Sweeper

    client, store = team
    key = create_user(store, "alice")
    run_id, log = logged_run(50)
    half = frame_ends(log)[20]
    send(client, key, run_id, 0, log[:half], log[:16])  # no END record yet; its process (this one) lives
    state = lambda: client.get(f"/api/runs/vision/{run_id}", headers={"X-Api-Key": key}).json()["state"]  # noqa: E731
    assert state() == "running"
    assert Sweeper(store).sweep(now=time.time() + 10) == 0
    assert Sweeper(store).sweep(now=time.time() + 400) == 1  # silent for longer than STALE_AFTER
    assert state() == "crashed"
    send(client, key, run_id, half, log[half:], log[:16])
    assert state() == "finished"


def test_online_mode_then_the_read_api_with_the_stored_key(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
                                                           served_team: ServedTeam) -> None:
    """An online run knows its place on the server: the user's entity, and the page it says at
    ``init`` (which the server serves); its rows and media read back through the stored key."""
    import urllib.request

    import numpy as np
    from click.testing import CliRunner

    from runyard.cli import main

    base, key = served_team.url, served_team.key
    login = CliRunner().invoke(main, ["login", "--host", base + "/", key])
    assert login.exit_code == 0 and "logged in to" in login.output and "as alice" in login.output
    monkeypatch.setenv("RUNYARD_FSYNC_INTERVAL", "0.1")
    run = runyard.init(project="vision", mode="online")  # the server and key of `runyard login`
    assert run.entity == "alice" and run.path == f"alice/vision/{run.id}"
    assert run.url == f"{base}/p/alice:vision/r/{run.id}" and run.project_url == f"{base}/p/alice:vision"
    assert f"runyard: streaming run {run.id} to {run.url}" in capfd.readouterr().err
    page = urllib.request.urlopen(urllib.request.Request(run.url, headers={"X-Api-Key": key}), timeout=10)
    assert page.status == 200 and b"<html" in page.read().lower()
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    for i in range(50):
        run.log({"loss": 1.0 / (i + 1), **({"img": runyard.Image(pixels)} if i == 10 else {})})
    run.finish()
    api = runyard.Api(base_url=base)  # no key given: the stored one
    (project,) = api.projects()
    assert (project, project.entity, project.url) == ("vision", "alice", f"{base}/p/alice:vision")
    assert api.project("alice/vision").url == project.url and api.projects("someone-else") == []
    remote = api.run(f"vision/{run.id}")
    assert remote.state == "finished" and remote.summary["loss"] == 1.0 / 50
    # the run's user is the key's, not the OS login of the machine that ran it
    assert remote.user == remote.user.username == "alice"
    assert [r.id for r in api.runs("vision", {"user": "alice"})] == [run.id] and not api.runs("vision", {"user": "bob"})
    assert [r["_step"] for r in remote.scan_history(keys=["loss"])] == list(range(50))
    image = [f["path"] for f in remote.files() if f["path"].endswith(".png")]
    local = next((Path(run.dir) / "media").rglob("*.png")).read_bytes()
    assert len(image) == 1 and remote.download(image[0]) == local


def test_a_quiet_online_run_reaches_the_server_before_finish(monkeypatch: pytest.MonkeyPatch,
                                                             served_team: ServedTeam) -> None:
    """Online mode fsyncs on its own interval, also when the run then goes quiet (no heartbeat to
    wait for), and the writer wakes the sender: the rows reach the server while the run is open."""
    monkeypatch.setenv("RUNYARD_BASE_URL", served_team.url)
    monkeypatch.setenv("RUNYARD_API_KEY", served_team.key)
    run = runyard.init(project="vision", mode="online", settings={"heartbeat_interval": 600.0, "system_metrics": False,
                                                                  "console": "off"})
    assert run._writer._fsync_interval == 0.2  # online_fsync_interval, below fsync_interval's 2 s
    for i in range(5):
        run.log({"loss": 1.0 / (i + 1)})
    api = runyard.Api(base_url=served_team.url, api_key=served_team.key)
    deadline = time.monotonic() + 60  # a liveness bound: without the fsync, only finish() would send
    while time.monotonic() < deadline:
        try:
            if api.run(f"vision/{run.id}").summary["loss"] == 1.0 / 5:
                break
        except Exception:  # noqa: BLE001 - not there yet
            pass
        time.sleep(0.1)
    else:
        raise AssertionError("the rows of a quiet online run did not reach the server while it was open")
    run.finish()


def test_live_updates_reach_a_viewer_on_another_server_process(team: tuple[InProcessClient, Any],
                                                               tmp_path: Path) -> None:
    client, store = team
    key = create_user(store, "alice")
    # a second server process on the same database and schema (stateless: it shares nothing else)
    other_app = create_app(None, store.url, schema=store.schema, blobs=LocalBlobStore(tmp_path / "blobs2"))
    run_id, log = logged_run(30)
    with InProcessClient(other_app) as other:
        since = other.get("/api/events?timeout=0.01", headers={"X-Api-Key": key}).text
        assert "event: hello" in since
        seq = json.loads(since.split("data: ")[1].split("\n")[0])["seq"]
        send(client, key, run_id, 0, log, log[:16])  # ingested through the first process
        stream = other.get(f"/api/events?since={seq}&timeout=1", headers={"X-Api-Key": key}).text
    assert f'"id": "{run_id}"' in stream and '"state": "finished"' in stream


def test_live_updates_are_notified_by_postgresql(team: tuple[InProcessClient, Any], tmp_path: Path) -> None:
    """A viewer on another process is woken by LISTEN/NOTIFY: its stream polls only every 10 s
    (``poll=10``) and closes after 4 s, yet it carries a run ingested by the first process after
    the stream started; a change that rolled back notifies nothing."""
    client, store = team
    key = create_user(store, "alice")
    other_app = create_app(None, store.url, schema=store.schema, blobs=LocalBlobStore(tmp_path / "blobs2"))
    run_id, log = logged_run(30)
    with InProcessClient(other_app) as other:
        listener = other_app.state.listener
        assert listener is not None and listener.listening.wait(30)
        hello = other.get("/api/events?timeout=0.01", headers={"X-Api-Key": key}).text
        doc = json.loads(hello.split("data: ")[1].split("\n")[0])
        assert doc["wake"] == "notify"
        woken = listener.wakeups
        with store.begin() as conn:  # a transaction that rolls back notifies nothing
            conn.execute(sa.update(s.runs).values(seq=s.runs.c.seq + 1))
            conn.rollback()
        streamed: list[str] = []
        viewer = threading.Thread(target=lambda: streamed.append(other.get(
            f"/api/events?since={doc['seq']}&timeout=4&poll=10", headers={"X-Api-Key": key}).text))
        viewer.start()
        time.sleep(0.5)  # the stream made its first query (nothing yet) and waits
        assert listener.wakeups == woken
        send(client, key, run_id, 0, log, log[:16])  # ingested through the first process
        viewer.join(30)
    assert listener.wakeups > woken
    assert streamed and f'"id": "{run_id}"' in streamed[0] and '"state": "finished"' in streamed[0]


def test_reindex_rebuilds_the_index_from_the_logs_it_holds(team: tuple[InProcessClient, Any]) -> None:
    """``runyard server reindex``: the index emptied and rebuilt from ``log_segments`` answers as
    before (runs, summaries, keys, history, chart series); users and keys are kept."""
    from click.testing import CliRunner

    from runyard.cli import main

    client, store = team
    key = create_user(store, "alice")
    h = {"X-Api-Key": key}
    runs = [logged_run(n) for n in (40, 300)]
    for run_id, log in runs:  # in several batches, cut between frames
        ends = frame_ends(log)
        cuts = [0, ends[len(ends) // 3], ends[2 * len(ends) // 3], len(log)]
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            assert send(client, key, run_id, a, log[a:b], log[:16]).status_code == 200

    def reads() -> list[Any]:
        out: list[Any] = []
        for run_id, _ in runs:
            doc = client.get(f"/api/runs/vision/{run_id}", headers=h).json()
            out.append({k: v for k, v in doc.items() if k not in ("updated_at", "seq")})
            out.append(client.get(f"/api/runs/vision/{run_id}/keys", headers=h).json())
            out.append(client.get(f"/api/runs/vision/{run_id}/history?page_size=1000", headers=h).json()["rows"])
            series = client.get(f"/api/runs/vision/{run_id}/series?key=loss&max_points=50", headers=h).json()
            out.append({k: v for k, v in series.items() if k != "elapsed_ms"})
        out.append([{k: v for k, v in p.items() if k != "updated_at"}  # the time of the latest ingest
                    for p in client.get("/api/projects", headers=h).json()["projects"]])
        return out

    before = reads()
    assert [before[0]["user"], before[4]["user"]] == ["alice", "alice"]  # the key's user, kept by reindex
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.runs)).scalar_one() == 2
    url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    done = CliRunner().invoke(main, ["server", "reindex", "--db", url, "--db-schema", store.schema],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "reindexed 2 run(s)" in done.output
    assert reads() == before
    assert client.get("/api/whoami", headers=h).json()["user"] == "alice"  # keys kept


def test_batches_of_many_runs_are_applied_together_exactly_once(team: tuple[InProcessClient, Any]) -> None:
    """``GroupIngest`` applies concurrent batches in one transaction: a run sent twice in one
    group goes in a later round, and a group with a refused batch is applied batch by batch, so
    every batch gets its own answer and nothing is lost or doubled."""
    from concurrent.futures import Future

    from runyard.store.online import BatchError, GroupIngest, _Pending

    client, store = team
    key = create_user(store, "alice")
    logs = dict(logged_run() for _ in range(3))
    (ra, la), (rb, lb), (rc, lc) = logs.items()
    cut = {r: frame_ends(log)[len(frame_ends(log)) // 2] for r, log in logs.items()}
    group = GroupIngest(store, workers=0)

    def pending(run_id: str, start: int, data: bytes) -> _Pending:
        return _Pending("vision", run_id, "alice", start, data, logs[run_id][:16], Future())

    first = [pending(r, 0, log[: cut[r]]) for r, log in logs.items()]
    group.apply(first)
    assert group.together == 3  # one transaction
    assert [(p.future.result().offset, p.future.result().applied) for p in first] == \
        [(cut[r], cut[r]) for r in logs]
    second = [pending(ra, 0, la[: cut[ra]]),  # sent again: nothing new
              pending(ra, cut[ra], la[cut[ra]:]),  # the same run again: a later round
              pending(rb, cut[rb], lb[cut[rb]:]),
              pending(rc, cut[rc] + 8, lc[cut[rc] + 8:])]  # a gap: refused, the others still apply
    group.apply(second)
    assert group.together == 3 and group.alone == 4  # the refused batch's round went batch by batch
    assert second[0].future.result().applied == 0
    assert second[1].future.result().offset == len(la)
    assert second[2].future.result().offset == len(lb)
    refused = second[3].future.exception()
    assert isinstance(refused, BatchError) and refused.expected == cut[rc]
    last = [pending(rc, cut[rc], lc[cut[rc]:])]
    group.apply(last)
    assert last[0].future.result().offset == len(lc)
    h = {"X-Api-Key": key}
    for run_id, log in logs.items():
        doc = client.get(f"/api/runs/vision/{run_id}", headers=h).json()
        assert doc["state"] == "finished" and doc["rows"] == 300
        rows = client.get(f"/api/runs/vision/{run_id}/history?page_size=1000", headers=h).json()["rows"]
        assert [r["_step"] for r in rows] == list(range(300))
        keys = {k["key"]: k["points"] for k in client.get(f"/api/runs/vision/{run_id}/keys", headers=h).json()["keys"]}
        assert keys["loss"] == 300 and keys["acc"] == 300
        with store.read() as conn:
            assert b"".join(conn.execute(sa.select(t.log_segments.c.data).where(t.log_segments.c.run_id == run_id)
                                         .order_by(t.log_segments.c.start)).scalars()) == log
    # the project's keys, counted as the group's deferred writes went in, are what grouping gives
    from test_derived_index import grouped_keys

    from runyard.store import queries as q

    with store.read() as conn:
        assert q.project_keys(conn, "vision") == grouped_keys(conn, "vision")
    keys = {k["key"]: k["runs"] for k in client.get("/api/projects/vision/keys", headers=h).json()["keys"]}
    assert keys["loss"] == 3 and keys["acc"] == 3


def ingest(client: InProcessClient, key: str, project: str, log: bytes, entity: str | None = None) -> Any:
    run_id = runyard_run_id(log)
    query = f"?entity={entity}" if entity else ""
    r = client.post(f"/api/ingest/{project}/{run_id}{query}", content=log,
                    headers={"X-Api-Key": key, "X-Runyard-Offset": "0", "X-Runyard-Head": log[:16].hex()})
    assert r.status_code == 200, r.text
    return r


def runyard_run_id(log: bytes) -> str:
    from runyard.log.framing import read_frames
    from runyard.log.records import decode

    for _, payload in read_frames(OffsetBytes(log), 0, None):
        return str(decode(payload)[1]["id"])
    raise AssertionError("no START record")


class OffsetBytes:
    def __init__(self, data: bytes) -> None:
        from runyard.store.online import OffsetStream

        self._s = OffsetStream(data, 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s, name)


def test_project_names_are_unique_per_entity(team: tuple[InProcessClient, Any]) -> None:
    """Two entities can each have a project "mnist"; one entity cannot have two. A project's key
    (in URLs) is its name when no other project had it first, else ``entity:name``; a name two
    projects visible to the caller hold is answered 409, naming only entities the caller sees."""
    client, store = team
    alice, bob = create_user(store, "alice"), create_user(store, "bob")
    create_team(store, "lab", ["alice", "bob"])  # (keys' entities are cached: the team first)
    (ra, la), (rb, lb), (rc, lc), (rl, ll) = (logged_run(10) for _ in range(4))
    ingest(client, alice, "mnist", la)
    ingest(client, bob, "mnist", lb)
    ingest(client, alice, "mnist", lc)  # alice's "mnist" again: the same project
    with store.read() as conn:
        owners = conn.execute(sa.select(t.project_owners.c.project, t.project_owners.c.name)
                              .order_by(t.project_owners.c.project)).all()
    assert [tuple(r) for r in owners] == [("bob:mnist", "mnist"), ("mnist", "mnist")]

    def listed(key: str) -> list[tuple[str, str]]:
        return [(p["name"], p["entity"]) for p in client.get("/api/projects", headers={"X-Api-Key": key})
                .json()["projects"]]

    def runs(key: str, project: str, query: str = "") -> Any:
        return client.get(f"/api/projects/{project}/runs{query}", headers={"X-Api-Key": key})

    assert listed(alice) == [("mnist", "alice")]
    assert listed(bob) == [("bob:mnist", "bob")]
    assert sorted(r["id"] for r in runs(alice, "mnist").json()["runs"]) == sorted([ra, rc])
    # bob's "mnist" by its name, its key, or entity and name; alice's run is not in it
    for project, query in (("mnist", ""), ("bob:mnist", ""), ("mnist", "?entity=bob")):
        assert [r["id"] for r in runs(bob, project, query).json()["runs"]] == [rb]
    assert client.get(f"/api/runs/mnist/{ra}", headers={"X-Api-Key": bob}).status_code == 404
    assert client.get(f"/api/runs/mnist/{rb}", headers={"X-Api-Key": bob}).json()["rows"] == 10
    assert runs(bob, "mnist", "?entity=alice").status_code == 403
    # a team of both: its own "mnist"; a member who sees two projects of that name must choose
    ingest(client, alice, "mnist", ll, entity="lab")
    assert listed(bob) == [("bob:mnist", "bob"), ("lab:mnist", "lab")]
    ambiguous = runs(bob, "mnist")
    assert ambiguous.status_code == 409 and "bob, lab" in ambiguous.json()["error"]
    assert "alice" not in ambiguous.text
    assert [r["id"] for r in runs(bob, "mnist", "?entity=lab").json()["runs"]] == [rl]
    assert [r["id"] for r in runs(bob, "lab:mnist").json()["runs"]] == [rl]
    assert [r["id"] for r in runs(alice, "alice:mnist").json()["runs"]] != []  # alice's by entity:name
    assert client.get(f"/api/ingest/mnist/{rl}?entity=lab", headers={"X-Api-Key": bob}).json()["offset"] == len(ll)


def test_project_claims_race_and_the_migration_runs_once(team: tuple[InProcessClient, Any]) -> None:
    """Several processes claiming one entity's new project at once make one project; the
    migrations from version 2 (names per entity; then log segments without pglz) run by several
    processes at once fill the names of the projects made before and apply once."""
    from concurrent.futures import ThreadPoolExecutor

    from runyard.server.auth import Auth
    from runyard.store.db import Store, migration_lock

    _, store = team
    create_user(store, "alice")
    create_user(store, "bob")
    auths = [Auth(store) for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda a: a[1].claim_project("race", "bob" if a[0] % 2 else "alice"),
                             enumerate(auths)))
    assert sorted(set(keys)) == ["bob:race", "race"] or sorted(set(keys)) == ["alice:race", "race"]
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.project_owners)).scalar() == 2
    # back to a version-2 schema: no name column, and a project made then
    with store.begin() as conn:
        conn.execute(sa.text("ALTER TABLE project_owners DROP COLUMN name"))
        conn.execute(sa.text("ALTER TABLE online_runs DROP COLUMN user_name"))  # version 5
        conn.execute(sa.update(t.team_migrations).values(version=2))
        conn.execute(sa.text("ALTER TABLE log_segments ALTER COLUMN data SET STORAGE EXTENDED"))  # as before
        conn.execute(sa.text("ALTER TABLE log_segments ALTER COLUMN data SET COMPRESSION pglz"))  # version 4
        conn.execute(sa.text("INSERT INTO project_owners (project, entity_pk, created_at) "
                             "SELECT 'old', pk, 0 FROM entities WHERE name = 'alice'"))

    def migrate(_: int) -> None:
        other = Store(store.url, schema=store.schema)
        try:
            with other.begin() as conn:
                migration_lock(conn)
                t.migrate(conn)
        finally:
            other.engine.dispose()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(migrate, range(4)))
    with store.read() as conn:
        names = dict(conn.execute(sa.select(t.project_owners.c.project, t.project_owners.c.name)).all())
        versions = conn.execute(sa.select(t.team_migrations.c.version)).scalars().all()
        segments_lz4 = stored_without_pglz(conn, "log_segments")
    assert names["old"] == "old" and sorted(versions).count(t.TEAM_SCHEMA_VERSION) == 1
    with store.read() as conn:
        assert "user_name" in {c["name"] for c in sa.inspect(conn).get_columns("online_runs")}
    assert segments_lz4  # log segments: lz4, or no compression at all; never pglz
    assert Auth(store).claim_project("old", "alice") == "old"  # the same project, not a second one
    with pytest.raises(sa.exc.IntegrityError), store.begin() as conn:  # one entity, one project per name
        conn.execute(sa.text("INSERT INTO project_owners (project, entity_pk, created_at, name) "
                             "SELECT 'alice:old', pk, 0, 'old' FROM entities WHERE name = 'alice'"))


def test_answers_are_gzipped_for_clients_that_ask_but_not_streams(served_team: ServedTeam, tmp_path: Path) -> None:
    """A team server's JSON answers cross a network: gzipped when the client accepts it (and only
    then); the live-events stream is never compressed (it would be held back in the compressor)."""
    import httpx

    headers = {"X-Api-Key": served_team.key}
    with httpx.Client(base_url=served_team.url, headers=headers, timeout=30) as http:
        # httpx sends Accept-Encoding: gzip and decodes the answer; the raw header says what came
        doc = http.get("/openapi.json")
        assert doc.headers.get("content-encoding") == "gzip" and doc.json()["info"]["title"] == "runyard"
        plain = http.get("/openapi.json", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.json() == doc.json()
        small = http.get("/api/health")
        assert "content-encoding" not in small.headers  # under a kilobyte: as it is
        with http.stream("GET", "/api/events", params={"timeout": 1}) as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            assert "content-encoding" not in events.headers
            assert "event: hello" in next(events.iter_text())


def test_a_client_gone_mid_batch_leaves_nothing_applied_and_no_traceback(
        served_team: ServedTeam, caplog: pytest.LogCaptureFixture) -> None:
    """A sender that dies or times out while its batch is on the wire: the server applies nothing,
    logs no internal error, and the run's next send starts from offset 0 as if nothing came."""
    import socket
    import urllib.parse

    import httpx

    run_id, log = logged_run(50)
    url = urllib.parse.urlsplit(served_team.url)
    caplog.set_level("INFO", logger="runyard.server")
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall((f"POST /api/ingest/vision/{run_id} HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {served_team.key}\r\nX-Runyard-Offset: 0\r\n"
                      f"X-Runyard-Head: {log[:16].hex()}\r\nContent-Length: {len(log)}\r\n\r\n").encode()
                     + log[: len(log) // 2])
        time.sleep(0.3)  # the server is reading the body when the client goes
    headers = {"Authorization": f"Bearer {served_team.key}"}
    with httpx.Client(base_url=served_team.url, timeout=30) as http:
        deadline = time.monotonic() + 10
        while "client disconnected" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "client disconnected before POST /api/ingest/vision/" in caplog.text
        assert "internal error" not in caplog.text and "Traceback" not in caplog.text
        assert http.get(f"/api/ingest/vision/{run_id}", headers=headers).json() == {"offset": 0}
        r = http.post(f"/api/ingest/vision/{run_id}", content=log,
                      headers={**headers, "X-Runyard-Offset": "0", "X-Runyard-Head": log[:16].hex()})
        assert r.status_code == 200 and r.json()["offset"] == len(log)
        assert http.get(f"/api/runs/vision/{run_id}", headers=headers).json()["last_step"] == 49
