"""Artifacts on a team server: a real ``runyard server`` process on PostgreSQL and SeaweedFS.
Online runs send their versions' files by hash and get the server's version numbers; ``runyard
sync`` sends the versions of offline runs, once; ``Api(base_url=...)`` lists and reads them with
their lineage (docs/artifacts.md, "On a team server")."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import runyard
from runyard.artifacts.context import reset_contexts
from runyard.artifacts.names import ArtifactNotFoundError
from runyard.errors import RunyardWarning, UsageError
from runyard.store import team_schema as t
from runyard.store.blobs import BlobStore, open_blob_store
from runyard.store.db import Store
from s3_server import S3Server
from team_cluster import ServerProcess, require_team_services, team_store

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]


@dataclass
class Team:
    url: str
    key: str
    store: Store
    blobs: BlobStore


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    url = require_team_services()
    tmp = tmp_path_factory.mktemp("team-artifacts")
    s3 = S3Server(tmp / "weed")
    s3.start()
    store, schema, key = team_store(url, "trainer")
    server = ServerProcess(["--db", url, "--db-schema", schema, "--blobs", f"s3://{s3.bucket}/team",
                            "--s3-endpoint", s3.endpoint], s3.env(), tmp / "server.log")
    old = {k: os.environ.get(k) for k in s3.env()}
    os.environ.update(s3.env())
    blobs = open_blob_store(f"s3://{s3.bucket}/team", endpoint=s3.endpoint)
    try:
        server.start()
        yield Team(server.url, key, store, blobs)
    finally:
        server.stop()
        blobs.close()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        store.drop_schema()
        store.close()
        s3.stop()


@pytest.fixture(autouse=True)
def _contexts() -> Iterator[None]:
    yield
    runyard.unset()
    reset_contexts()


def make_dir(base: Path, seed: str, big: int = 0) -> dict[str, bytes]:
    files = {f"part{i}/f{i}.bin": hashlib.sha256(f"{seed}-{i}".encode()).digest() * 300 for i in range(4)}
    files["same.txt"] = b"the same in every version"
    if big:
        files["big.bin"] = os.urandom(big)
    for rel, data in files.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_bytes(data)
    return files


def sync(team: Team, root: Path, *extra: str) -> Any:
    from click.testing import CliRunner

    from runyard.cli import main

    return CliRunner().invoke(main, ["sync", str(root), *extra], catch_exceptions=False,
                              env={"RUNYARD_BASE_URL": team.url, "RUNYARD_API_KEY": team.key})


def read_all(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_online_versions_reach_the_server_numbered_by_it(team: Team, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import runyard.artifacts.remote as remote

    monkeypatch.setattr(remote, "PART", 1 << 20)  # the 3.5 MB file goes as 4 parts, joined by the server
    monkeypatch.setenv("RUNYARD_BASE_URL", team.url)
    monkeypatch.setenv("RUNYARD_API_KEY", team.key)
    monkeypatch.setenv("RUNYARD_FSYNC_INTERVAL", "0.1")
    first = make_dir(tmp_path / "v0", "a", big=3_500_000)
    second = make_dir(tmp_path / "v1", "b")
    run = runyard.init(project="online-art", mode="online")
    a = run.log_artifact(tmp_path / "v0", name="data", type="dataset", aliases=["raw"]).wait()
    again = run.log_artifact(tmp_path / "v0", name="data", type="dataset").wait()  # same content, same version
    b = run.log_artifact(tmp_path / "v1", name="data", type="dataset", aliases=["best"]).wait()
    assert (a.version, again.version, b.version) == ("v0", "v0", "v1")
    linked = run.link_artifact(b, "online-art/golden-data", aliases=["golden"])
    assert linked.version == "v0"
    run.finish()
    runyard.unset()
    reset_contexts()
    # another machine's folder numbers its first version v0; the server numbers it v2
    other = runyard.init(project="online-art", mode="online", dir=tmp_path / "machine2")
    make_dir(tmp_path / "v2", "c")
    c = other.log_artifact(tmp_path / "v2", name="data", type="dataset").wait()
    assert c.version == "v2" and c.name == "data:v2" and c._doc is not None and c._doc["version"] == 0
    other.finish()
    for data in [*first.values(), *second.values()]:  # every file is in the server's store by its hash
        assert team.blobs.has(hashlib.sha256(data).hexdigest())
    parts = [hashlib.sha256(first["big.bin"][i:i + (1 << 20)]).hexdigest() for i in range(0, 3_500_000, 1 << 20)]
    assert team.blobs.missing(parts) == parts  # joined, then removed

    api = runyard.Api(base_url=team.url, api_key=team.key)
    v1 = api.artifact("online-art/data:v1")
    assert v1.type == "dataset" and set(v1.aliases) == {"best"}
    assert v1.logged_by().id == run.id and v1.used_by() == []
    assert read_all(Path(v1.download(tmp_path / "dl1"))) == second
    v0 = api.artifact("online-art/data:raw")
    assert v0.version == "v0" and read_all(Path(v0.download(tmp_path / "dl0"))) == first
    v0.verify(tmp_path / "dl0")
    assert [v.version for v in api.artifacts("dataset", "online-art/data")] == ["v0", "v1", "v2"]
    assert [v.version for v in api.artifact_versions("dataset", "online-art/data")] == ["v0", "v1", "v2"]
    assert api.artifact("online-art/data:latest").logged_by().id == other.id
    assert api.artifact_types("online-art") == ["dataset"]
    assert api.artifact_collections("online-art", "dataset") == ["data", "golden-data"]
    golden = api.artifact("online-art/golden-data:golden")
    assert golden.version == "v0" and golden.digest == v1.digest
    with pytest.raises(ArtifactNotFoundError, match="v7"):
        api.artifact("online-art/data:v7")
    # the run's page on the server lists what it logged, by the server's numbers
    arts = api._http.get(f"/api/runs/online-art/{run.id}/artifacts")
    assert sorted((x["name"], x["version"]) for x in arts["logged"]) == [("data", 0), ("data", 1), ("golden-data", 0)]


def test_sync_sends_offline_versions_once_and_the_server_renumbers_them(team: Team, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # a first machine logs v0 online
    monkeypatch.setenv("RUNYARD_BASE_URL", team.url)
    monkeypatch.setenv("RUNYARD_API_KEY", team.key)
    monkeypatch.setenv("RUNYARD_FSYNC_INTERVAL", "0.1")
    make_dir(tmp_path / "first", "first")
    online = runyard.init(project="sync-art", mode="online", dir=tmp_path / "machine1")
    assert online.log_artifact(tmp_path / "first", name="model", type="model").wait().version == "v0"
    online.finish()
    runyard.unset()
    reset_contexts()
    # a second machine, offline: its own v0 (other bytes), used by another of its runs
    root = tmp_path / "machine2"
    files = make_dir(tmp_path / "second", "second")
    maker = runyard.init(project="sync-art", mode="offline", dir=root)
    local = maker.log_artifact(tmp_path / "second", name="model", type="model", aliases=["candidate"]).wait()
    assert local.version == "v0"  # numbered locally: the server has its own v0
    maker.finish()
    user = runyard.init(project="sync-art", mode="offline", dir=root)
    user.use_artifact("model:candidate")
    user.finish()
    api = runyard.Api(base_url=team.url, api_key=team.key)
    assert [v.version for v in api.artifacts("model", "sync-art/model")] == ["v0"]

    dry = sync(team, root, "--dry-run")
    assert dry.exit_code == 0 and "2 of 2 runs would be synced" in dry.output, dry.output
    first = sync(team, root)
    assert first.exit_code == 0 and "1 artifact version sent" in first.output, first.output
    versions = api.artifacts("model", "sync-art/model")
    assert [v.version for v in versions] == ["v0", "v1"]
    v1 = api.artifact("sync-art/model:candidate")
    assert v1.version == "v1" and "latest" in v1.aliases
    assert v1.logged_by().id == maker.id and [r.id for r in v1.used_by()] == [user.id]
    assert read_all(Path(v1.download(tmp_path / "dl"))) == files
    with team.store.read() as conn:  # the server's numbers: one row per digest
        import sqlalchemy as sa

        rows = conn.execute(sa.select(t.artifact_numbers.c.version).where(
            t.artifact_numbers.c.project == "sync-art")).scalars().all()
    assert sorted(rows) == [0, 1]

    again = sync(team, root)  # nothing left to send
    assert again.exit_code == 0 and "synced 0 runs" in again.output, again.output
    forced = sync(team, root, "--include-synced")  # goes over both runs again: no new version
    assert forced.exit_code == 0 and "0 artifact versions sent" in forced.output, forced.output
    assert [v.version for v in api.artifacts("model", "sync-art/model")] == ["v0", "v1"]


def test_commit_refuses_a_version_whose_files_are_missing(team: Team) -> None:
    import json
    import urllib.error
    import urllib.request

    from runyard.artifacts.manifest import Manifest, ManifestEntry

    absent = hashlib.sha256(b"never uploaded").hexdigest()
    manifest = Manifest({"a.bin": ManifestEntry("a.bin", absent, 14)}).to_bytes()
    digest = hashlib.sha256(manifest).hexdigest()

    def call(method: str, path: str, body: bytes, ctype: str) -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(team.url + path, data=body, method=method,
                                     headers={"Authorization": f"Bearer {team.key}", "Content-Type": ctype})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    commit = json.dumps({"type": "dataset", "digest": digest}).encode()
    status, doc = call("POST", "/api/projects/refused/artifacts/d/commit", commit, "application/json")
    assert status == 409 and "manifest" in doc["error"]
    assert call("PUT", f"/api/blobs/{digest}", manifest, "application/octet-stream")[0] == 200
    status, doc = call("POST", "/api/projects/refused/artifacts/d/commit", commit, "application/json")
    assert status == 409 and absent in doc["error"]
    bad = json.dumps({"type": "data set!", "digest": digest}).encode()
    status, doc = call("POST", "/api/projects/refused/artifacts/d/commit", bad, "application/json")
    assert status == 400 and "type" in doc["error"]
    status, doc = call("POST", f"/api/artifacts/blobs/{absent}/compose",
                       json.dumps({"parts": [absent], "size": 14}).encode(), "application/json")
    assert status == 409 and absent in doc["error"]


def test_online_use_artifact_reads_another_machines_version_and_the_lineage_shows_it(
        team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNYARD_BASE_URL", team.url)
    monkeypatch.setenv("RUNYARD_API_KEY", team.key)
    monkeypatch.setenv("RUNYARD_FSYNC_INTERVAL", "0.1")
    files = make_dir(tmp_path / "data", "shared")
    maker = runyard.init(project="lineage-art", mode="online", dir=tmp_path / "machine1")
    maker.log_artifact(tmp_path / "data", name="shared", type="dataset", aliases=["golden"]).wait()
    maker.finish()
    runyard.unset()
    reset_contexts()
    # another machine: an empty folder of its own, the version comes from the server
    user = runyard.init(project="lineage-art", mode="online", dir=tmp_path / "machine2")
    art = user.use_artifact("shared:golden", type="dataset")
    assert art.version == "v0" and art.type == "dataset"
    folder = Path(art.download(tmp_path / "dl"))
    assert read_all(folder) == files
    art.verify(folder)
    with pytest.raises(UsageError, match="team server"):
        art.delete(delete_aliases=True)
    with pytest.raises(ArtifactNotFoundError, match="nope"):
        user.use_artifact("nope:latest")  # neither the server nor this folder has it
    user.finish()
    api = runyard.Api(base_url=team.url, api_key=team.key)
    v0 = api.artifact("lineage-art/shared:v0")
    assert [r.id for r in v0.used_by()] == [user.id] and v0.logged_by().id == maker.id
    assert [v.name for v in api.run(f"lineage-art/{maker.id}").logged_artifacts()] == ["shared:v0"]
    assert [v.name for v in api.run(f"lineage-art/{user.id}").used_artifacts()] == ["shared:v0"]
    graph = api._http.get("/api/projects/lineage-art/artifacts/shared/v0/lineage")
    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    assert edges == {(f"run:lineage-art/{maker.id}", "artifact:lineage-art/shared:v0"),
                     ("artifact:lineage-art/shared:v0", f"run:lineage-art/{user.id}")}


def test_a_version_the_server_never_got_is_named_and_sync_sends_it(team: Team, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from team_cluster import free_port

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("RUNYARD_BASE_URL", dead)
    monkeypatch.setenv("RUNYARD_API_KEY", team.key)
    monkeypatch.setenv("RUNYARD_UPLOAD_TIMEOUT", "1")
    root = tmp_path / "runs"
    files = make_dir(tmp_path / "d", "unsent")
    run = runyard.init(project="unsent-art", mode="online", dir=root)
    art = run.log_artifact(tmp_path / "d", name="d", type="dataset")
    with pytest.warns(RunyardWarning, match=r"d:v0 is stored locally but was not sent to .*runyard sync"):
        art.wait()
    assert art.version == "v0"  # the local number: the server never numbered it
    run.finish()
    first = sync(team, root)
    assert first.exit_code == 0 and "1 artifact version sent" in first.output, first.output
    api = runyard.Api(base_url=team.url, api_key=team.key)
    got = api.artifact("unsent-art/d:latest")
    assert got.version == "v0" and got.logged_by().id == run.id
    assert read_all(Path(got.download(tmp_path / "dl"))) == files
    assert "synced 0 runs" in sync(team, root).output


def test_concurrent_commits_get_distinct_numbers_and_a_digest_keeps_its_own(team: Team) -> None:
    """Eight clients commit eight versions of one collection at once (and each one twice): the
    server's numbers are 0-7, each digest has one, whatever the interleaving."""
    import threading

    from runyard.artifacts.manifest import Manifest, ManifestEntry
    from runyard.artifacts.remote import send_version
    from runyard.sdk.sender import Client
    from runyard.store.blobs import LocalBlobStore

    local = LocalBlobStore(Path(os.environ["RUNYARD_DIR"]) / "blobs")
    digests = []
    for i in range(8):
        data = f"version {i}".encode()
        f = local.put_bytes(data)
        digests.append(local.put_bytes(Manifest({"x.txt": ManifestEntry("x.txt", f.digest, len(data))}).to_bytes()).digest)
    got: dict[str, set[int]] = {d: set() for d in digests}
    errors: list[BaseException] = []

    def client(d: str) -> None:
        c = Client(team.url, team.key)
        try:
            for _ in range(2):
                got[d].add(int(send_version(c, local, "race-art", "c", "dataset", d)["version"]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=client, args=(d,)) for d in digests]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    assert all(len(v) == 1 for v in got.values())
    assert sorted(n for v in got.values() for n in v) == list(range(8))
