"""Artifacts in the index and the HTTP API, rebuilt from run logs, on SQLite and PostgreSQL."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import runyard
from index_stores import KINDS, served_index
from runyard.artifacts.context import reset_contexts
from runyard.server import create_app
from runyard.server.testing import InProcessClient

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_lineage(root: Path, tmp: Path) -> dict[str, str]:
    """raw -> (prep run) -> clean v0, v1 -> (train run) -> model; a third run uses the model."""
    (tmp / "raw").mkdir()
    (tmp / "raw" / "a.txt").write_text("alpha\n")
    (tmp / "raw" / "pic.png").write_bytes(PNG)
    ids = {}
    with runyard.init(project="p", dir=root, name="ingest") as run:
        raw = runyard.Artifact("raw", "dataset", metadata={"source": "test"})
        raw.add_dir(tmp / "raw")
        table = runyard.Table(columns=["id", "label"], data=[[1, "cat"], [2, "dog"]])
        raw.add(table, "labels")
        run.log_artifact(raw, aliases=["first"])
        ids["ingest"] = run.id
    with runyard.init(project="p", dir=root, name="prep") as run:
        run.use_artifact("raw:first")
        clean = runyard.Artifact("clean", "dataset")
        with clean.new_file("rows.csv") as f:
            f.write("1,cat\n")
        run.log_artifact(clean)
        clean2 = runyard.Artifact("clean", "dataset")
        with clean2.new_file("rows.csv") as f:
            f.write("1,cat\n2,dog\n")
        with clean2.new_file("extra.txt") as f:
            f.write("more")
        run.log_artifact(clean2, aliases=["best"])
        ids["prep"] = run.id
    with runyard.init(project="p", dir=root, name="train") as run:
        run.use_artifact("clean:best")
        (tmp / "w.bin").write_bytes(b"weights")
        run.log_model(tmp / "w.bin", name="net")
        ids["train"] = run.id
    with runyard.init(project="p", dir=root, name="eval") as run:
        run.use_artifact("net:latest")
        ids["eval"] = run.id
    return ids


@pytest.fixture(params=KINDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[InProcessClient, dict[str, str]]]:
    root = tmp_path / "runs"
    ids = make_lineage(root, tmp_path)
    try:
        with served_index(request.param, root) as c:
            yield c, ids
    finally:
        reset_contexts()


def test_types_collections_versions(served: tuple[InProcessClient, dict[str, str]]) -> None:
    c, ids = served
    assert c.get("/api/projects/p/artifact-types").json()["types"] == [
        {"type": "dataset", "collections": 2}, {"type": "model", "collections": 1}]
    cols = c.get("/api/projects/p/artifacts", params={"type": "dataset"}).json()["collections"]
    assert [(x["name"], x["versions"], x["latest"]) for x in cols] == [("clean", 2, 1), ("raw", 1, 0)]
    versions = c.get("/api/projects/p/artifacts/clean/versions").json()["versions"]
    assert [(v["version"], v["aliases"], v["files"]) for v in versions] == [
        (0, [], 1), (1, ["best", "latest"], 2)]
    assert versions[1]["logged_by"]["run_id"] == ids["prep"]
    assert [u["run_id"] for u in versions[1]["used_by"]] == [ids["train"]]
    raw = c.get("/api/projects/p/artifacts/raw/first").json()
    assert raw["metadata"] == {"source": "test"} and raw["version"] == 0
    paths = [e["path"] for e in raw["manifest"]]
    assert "a.txt" in paths and "labels.table.json" in paths and any(p.startswith("media/table/") for p in paths)


def test_files_diff_and_errors(served: tuple[InProcessClient, dict[str, str]]) -> None:
    c, _ = served
    r = c.get("/api/projects/p/artifacts/raw/v0/files/a.txt")
    assert r.status_code == 200 and r.text == "alpha\n" and r.headers["content-type"].startswith("text/plain")
    png = c.get("/api/projects/p/artifacts/raw/latest/files/pic.png")
    assert png.content == PNG and png.headers["content-type"] == "image/png"
    d = c.get("/api/projects/p/artifacts/clean/v1/diff", params={"other": "v0"}).json()
    assert d == {"from": 0, "to": 1, "added": ["extra.txt"], "removed": [], "changed": ["rows.csv"]}
    for url, needle in [("/api/projects/p/artifacts/clean/v9", "no artifact clean:v9"),
                        ("/api/projects/p/artifacts/nope/versions", "no artifact 'nope'"),
                        ("/api/projects/p/artifacts/raw/v0/files/missing.txt", "no file 'missing.txt'")]:
        bad = c.get(url)
        assert bad.status_code == 404 and bad.json()["ok"] is False and needle in bad.json()["error"], url


def test_lineage_and_run_artifacts(served: tuple[InProcessClient, dict[str, str]]) -> None:
    c, ids = served
    g = c.get("/api/projects/p/artifacts/clean/v1/lineage", params={"hops": 2}).json()
    nodes = {n["id"] for n in g["nodes"]}
    edges = {(e["source"], e["target"]) for e in g["edges"]}
    prep, train, ev = (f"run:p/{ids[k]}" for k in ("prep", "train", "eval"))
    assert {("artifact:p/raw:v0", prep), (prep, "artifact:p/clean:v1"), ("artifact:p/clean:v1", train),
            (train, "artifact:p/net:v0"), ("artifact:p/net:v0", ev)} <= edges
    assert {"artifact:p/raw:v0", "artifact:p/clean:v0", "artifact:p/net:v0", prep, train, ev} <= nodes
    one_hop = c.get("/api/projects/p/artifacts/clean/v1/lineage", params={"hops": 1}).json()
    assert f"run:p/{ids['eval']}" not in {n["id"] for n in one_hop["nodes"]}
    mine = c.get(f"/api/runs/p/{ids['prep']}/artifacts").json()
    assert [(a["name"], a["version"]) for a in mine["logged"]] == [("clean", 0), ("clean", 1)]
    assert [(a["name"], a["version"]) for a in mine["used"]] == [("raw", 0)]
    assert json.dumps(mine)  # plain JSON


def test_index_rebuilds_from_the_logs_alone(tmp_path: Path) -> None:
    """Deleting the index loses nothing: versions, aliases and lineage come back from the logs."""
    root = tmp_path / "runs"
    make_lineage(root, tmp_path)
    for attempt in range(2):
        app = create_app(root, follow=False)
        with InProcessClient(app) as c:
            versions = c.get("/api/projects/p/artifacts/clean/versions").json()["versions"]
            assert [v["aliases"] for v in versions] == [[], ["best", "latest"]], attempt
        (root / ".runyard" / "index.sqlite3").unlink()
    reset_contexts()


def test_api_over_http_reads_and_downloads_artifacts(tmp_path: Path) -> None:
    """``Api(base_url=...)`` against a real server on a loopback port."""
    import socket
    import threading
    import time

    uvicorn = pytest.importorskip("uvicorn", reason="the server extra is not installed")
    from runyard.artifacts.names import ArtifactNotFoundError

    root = tmp_path / "runs"
    make_lineage(root, tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(root, interval=0.1), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 30
        api = runyard.Api(base_url=f"http://127.0.0.1:{port}")
        while not srv.started and time.time() < deadline:
            time.sleep(0.05)
        while not api._http.get("/api/health").get("ingested", True) and time.time() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
        art = api.artifact("p/clean:best")
        assert (art.name, art.aliases, art.type) == ("clean:v1", ["best", "latest"], "dataset")
        folder = Path(art.download(tmp_path / "dl"))
        assert (folder / "rows.csv").read_text() == "1,cat\n2,dog\n" and (folder / "extra.txt").read_text() == "more"
        art.verify(folder)
        (folder / "rows.csv").write_text("tampered")
        with pytest.raises(ValueError, match="rows.csv"):
            art.verify(folder)
        art.download(folder)  # fetches only what differs
        art.verify(folder)
        assert Path(api.artifact("p/net:v0", type="model").file(tmp_path / "m")).read_bytes() == b"weights"
        ids = {r.name: r for r in api.runs("p")}
        prep = ids["prep"]
        assert [v.name for v in prep.used_artifacts()] == ["raw:v0"]
        assert [(v.name, v.type) for v in prep.logged_artifacts()] == [("clean:v0", "dataset"), ("clean:v1", "dataset")]
        assert [v.name for v in ids["train"].logged_artifacts()] == ["net:v0"]
        assert Path(ids["train"].used_artifacts()[0].download(tmp_path / "used")).joinpath("extra.txt").read_text() == "more"
        with pytest.raises(ArtifactNotFoundError, match="no artifact clean:v9"):
            api.artifact("p/clean:v9")
    finally:
        srv.should_exit = True
        thread.join(10)
        reset_contexts()


def test_an_index_of_schema_1_gains_artifact_events_and_keeps_its_runs(tmp_path: Path) -> None:
    """The compatible migration step: an index written before artifacts is not rebuilt."""
    import sqlalchemy as sa

    from runyard.store import Ingestor, Store
    from runyard.store import schema as s

    root = tmp_path / "runs"
    make_lineage(root, tmp_path)
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    store = Store(url)
    Ingestor(root, store).ingest_all()
    with store.engine.begin() as conn:  # make it look like schema 1
        s.artifact_events.drop(conn)
        conn.execute(sa.text("ALTER TABLE runs DROP COLUMN user_name"))  # version 7
        conn.execute(sa.delete(s.schema_migrations))
        conn.execute(sa.insert(s.schema_migrations).values(version=1, applied_at=0.0))
        runs_before = conn.execute(sa.select(sa.func.count()).select_from(s.runs)).scalar()
    store.close()
    store = Store(url)
    try:
        with store.read() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(s.runs)).scalar() == runs_before == 4
            assert {r[0] for r in conn.execute(sa.select(s.schema_migrations.c.version))} == set(range(1, s.SCHEMA_VERSION + 1))
            assert conn.execute(sa.select(sa.func.count()).select_from(s.artifact_events)).scalar() == 0
            # version 7: each run's user, read from its saved state
            users = conn.execute(sa.select(s.runs.c.user_name)).scalars().all()
            assert users == [getpass.getuser()] * 4
    finally:
        store.close()
        reset_contexts()
