"""The HTTP API in process (httpx through starlette's InProcessClient), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index_stores import KINDS, served_index
from runyard.log.framing import scan
from runyard.log.reader import RunFolder
from runyard.log.records import Kind
from runyard.server import create_app
from runyard.server.testing import InProcessClient
from runyard.store.fixtures import LogWriter

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
WAV = b"RIFF" + bytes(range(256)) * 40


def make_root(root: Path) -> None:
    w = LogWriter(root, "proj", "run00001", config={"lr": 0.1, "layers": 3}, tags=["base"], name="first")
    (w.folder / "media" / "image").mkdir(parents=True)
    (w.folder / "media" / "image" / "abc.png").write_bytes(PNG)
    (w.folder / "media" / "audio").mkdir(parents=True)
    (w.folder / "media" / "audio" / "def.wav").write_bytes(WAV)
    (w.folder / "media" / "table").mkdir(parents=True)
    table = {"columns": ["id", "label", "score"],
             "data": [[i, "cat" if i % 3 else "dog", {"_type": "float", "value": "NaN"} if i == 5 else i / 10]
                      for i in range(30)]}
    (w.folder / "media" / "table" / "t.table.json").write_text(json.dumps(table))
    for i in range(5000):
        row: dict[str, Any] = {"loss": 1.0 / (i + 1), "epoch": i // 1000, "text": "x" if i == 0 else None}
        if i % 1000 == 0:
            row["img"] = {"_type": "image-file", "path": "media/image/abc.png", "width": 1, "height": 1}
            row["clip"] = {"_type": "audio-file", "path": "media/audio/def.wav", "sample_rate": 8000}
            row["grad"] = {"_type": "histogram", "values": [i, 1, 0], "bins": [0.0, 1.0, 2.0, 3.0]}
        if i == 2000:
            row["tbl"] = {"_type": "table-file", "path": "media/table/t.table.json", "ncols": 3, "nrows": 30}
        w.row({k: v for k, v in row.items() if v is not None})
    for i in range(25):
        w.write([Kind.OUTPUT, w.t0 + i, 1 + i % 2, f"line {i}\n"])
    w.end()
    w2 = LogWriter(root, "proj", "run00002", config={"lr": 0.5, "layers": 5}, tags=["exp"], name="second")
    for i in range(100):
        w2.row({"loss": 2.0 / (i + 1)})
    w2.end()


@pytest.fixture(params=KINDS)
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InProcessClient]:
    root = tmp_path / "runs"
    make_root(root)
    with served_index(request.param, root) as c:
        yield c


def test_projects_runs_and_detail(client: InProcessClient) -> None:
    projects = client.get("/api/projects").json()["projects"]
    assert projects == [{"name": "proj", "entity": "local", "runs": 2, "updated_at": projects[0]["updated_at"]}]
    runs = client.get("/api/projects/proj/runs", params={"order": "-config.lr"}).json()
    assert [r["id"] for r in runs["runs"]] == ["run00002", "run00001"] and runs["total"] == 2
    flt = json.dumps({"config.layers": {"$gte": 4}})
    assert [r["name"] for r in client.get("/api/projects/proj/runs", params={"filters": flt}).json()["runs"]] == [
        "second"]
    page = client.get("/api/projects/proj/runs", params={"order": "+name", "limit": 1, "offset": 1}).json()
    assert [r["name"] for r in page["runs"]] == ["second"]
    detail = client.get("/api/runs/proj/run00001").json()
    assert detail["state"] == "finished" and detail["config"]["lr"] == 0.1
    assert detail["summary"]["loss"] == 1.0 / 5000 and detail["metadata"] == {"host": "test"}


def test_keys_with_kinds(client: InProcessClient) -> None:
    keys = {k["key"]: k for k in client.get("/api/runs/proj/run00001/keys").json()["keys"]}
    assert keys["loss"]["kinds"] == ["number"] and keys["loss"]["points"] == 5000
    assert keys["img"]["kinds"] == ["image-file"] and keys["grad"]["kinds"] == ["histogram"]
    assert keys["text"]["kinds"] == ["string"]
    project = {k["key"]: k for k in client.get("/api/projects/proj/keys").json()["keys"]}
    assert project["loss"]["runs"] == 2 and project["img"]["runs"] == 1


def test_series(client: InProcessClient) -> None:
    r = client.get("/api/projects/proj/series",
                   params={"runs": "run00001,run00002", "key": "loss", "max_points": 200}).json()
    a, b = r["series"]
    assert a["run"] == "run00001" and len(a["x"]) <= 200 and not a["full_resolution"]
    assert a["first"][0] == 1.0 and a["last"][-1] == 1.0 / 5000 and a["max"][0] == 1.0
    assert b["full_resolution"] and len(b["x"]) == 100
    zoom = client.get("/api/runs/proj/run00001/series",
                      params={"key": "loss", "x_min": 100, "x_max": 149}).json()["series"][0]
    assert zoom["full_resolution"] and zoom["x"] == list(range(100, 150))
    by_epoch = client.get("/api/runs/proj/run00001/series", params={"key": "loss", "x_axis": "epoch",
                                                                     "max_points": 10}).json()["series"][0]
    assert len(by_epoch["x"]) <= 10 and by_epoch["x"][0] == 0 and by_epoch["x_last"][-1] == 4


def test_media_and_files(client: InProcessClient) -> None:
    steps = client.get("/api/runs/proj/run00001/media/steps", params={"key": "img"}).json()["steps"]
    assert steps == [0, 1000, 2000, 3000, 4000]
    at = client.get("/api/runs/proj/run00001/media", params={"key": "img", "step": 2500}).json()
    assert at["step"] == 2000 and at["items"][0]["_type"] == "image-file"
    img = client.get(at["items"][0]["url"])
    assert img.status_code == 200 and img.headers["content-type"] == "image/png" and img.content == PNG
    clip = client.get("/api/runs/proj/run00001/media", params={"key": "clip"}).json()["items"][0]
    full = client.get(clip["url"])
    assert full.headers["content-type"] == "audio/wav" and full.headers.get("accept-ranges") == "bytes"
    part = client.get(clip["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == WAV[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(WAV)}"
    tail = client.get(clip["url"], headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == WAV[-10:]


def test_tables_histograms_output(client: InProcessClient) -> None:
    t = client.get("/api/runs/proj/run00001/table", params={"key": "tbl", "limit": 5}).json()
    assert t["columns"] == ["id", "label", "score"] and t["total"] == 30 and len(t["rows"]) == 5
    dogs = client.get("/api/runs/proj/run00001/table",
                      params={"key": "tbl", "where": json.dumps({"label": "dog"})}).json()
    assert dogs["total"] == 10
    top = client.get("/api/runs/proj/run00001/table",
                     params={"key": "tbl", "sort": "score", "desc": True, "limit": 3}).json()
    assert [r["cells"][0] for r in top["rows"]] == [29, 28, 27]
    last = client.get("/api/runs/proj/run00001/table", params={"key": "tbl", "sort": "score", "offset": 29}).json()
    assert last["rows"][0]["cells"][0] == 5  # NaN sorts last, kept as its typed cell
    h = client.get("/api/runs/proj/run00001/histograms", params={"key": "grad", "bins": 3}).json()
    assert h["steps"] == [0, 1000, 2000, 3000, 4000] and h["bins"] == [0.0, 1.0, 2.0, 3.0]
    assert h["counts"][1] == [1000.0, 1.0, 0.0]
    out = client.get("/api/runs/proj/run00001/output", params={"limit": 10}).json()
    assert [i["text"] for i in out["items"]][:2] == ["line 0\n", "line 1\n"] and out["more"]
    assert out["items"][1]["stream"] == "stderr"
    nxt = client.get("/api/runs/proj/run00001/output", params={"after": out["next"], "limit": 100}).json()
    assert len(nxt["items"]) == 15 and not nxt["more"]


def test_summary_edit(client: InProcessClient, tmp_path: Path) -> None:
    r = client.patch("/api/runs/proj/run00002/summary", json={"update": {"best": 0.93}, "delete": ["loss"]})
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["best"] == 0.93 and "loss" not in r.json()["summary"]
    folder = tmp_path / "runs" / "proj" / "run00002"
    state, _ = RunFolder(folder).load_state()
    assert state.summary.current()["best"] == 0.93  # persisted in the log
    assert scan(folder / "run.rylog").torn_bytes == 0
    again = client.get("/api/runs/proj/run00002").json()
    assert again["summary"]["best"] == 0.93
    # a running run is not edited
    LogWriter(tmp_path / "runs", "proj", "live0001", alive=True).row({"a": 1.0})
    client.app.state.ingestor.ingest_all()  # type: ignore[attr-defined]
    busy = client.patch("/api/runs/proj/live0001/summary", json={"update": {"x": 1}})
    assert busy.status_code == 409 and busy.json()["ok"] is False


def test_placeholder_page_and_openapi(client: InProcessClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")  # the UI (docs/ui.md)
    spec = client.get("/openapi.json").json()
    for path in ("/api/projects", "/api/projects/{project}/runs", "/api/projects/{project}/series",
                 "/api/runs/{project}/{run_id}/files/{path}", "/api/events", "/api/runs/{project}/{run_id}/summary"):
        assert path in spec["paths"], path


def test_history_pages_and_files(client: InProcessClient) -> None:
    rows, after = [], 0
    for _ in range(100):  # bounded
        page = client.get("/api/runs/proj/run00001/history", params={"after": after, "page_size": 1500}).json()
        rows += page["rows"]
        after = page["next"]
        if not page["more"]:
            break
    assert len(rows) == 5000 and [r["_step"] for r in rows] == list(range(5000))
    assert rows[0]["text"] == "x" and rows[1000]["img"]["_type"] == "image-file"
    some = client.get("/api/runs/proj/run00001/history",
                      params={"keys": "loss,img", "min_step": 1500, "max_step": 4000}).json()
    assert [r["_step"] for r in some["rows"]] == [2000, 3000]
    assert set(some["rows"][0]) == {"loss", "img", "_step", "_timestamp", "_runtime"}
    listed = {f["path"]: f for f in client.get("/api/runs/proj/run00001/files").json()["files"]}
    assert listed["media/audio/def.wav"]["size"] == len(WAV)
    assert client.get(listed["media/image/abc.png"]["url"]).content == PNG


def test_media_slider_following_epoch(client: InProcessClient) -> None:
    steps = client.get("/api/runs/proj/run00001/media/steps", params={"key": "img", "x_key": "epoch"}).json()
    assert steps["steps"] == [0, 1000, 2000, 3000, 4000] and steps["x"] == [0, 1, 2, 3, 4]
    at = client.get("/api/runs/proj/run00001/media", params={"key": "img", "x_key": "epoch", "x": 2.5}).json()
    assert at["step"] == 2000
    bad = client.get("/api/runs/proj/run00001/media", params={"key": "img", "x_key": "nokey", "x": 1})
    assert bad.status_code == 404 and bad.json()["ok"] is False


def test_raw_points_are_every_point_as_float64(client: InProcessClient) -> None:
    import numpy as np

    r = client.get("/api/runs/proj/run00001/points", params={"key": "loss"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    n = int(r.headers["x-points"])
    data = np.frombuffer(r.content, dtype="<f8")
    assert n == 5000 and len(data) == 2 * n
    assert list(data[:3]) == [0.0, 1.0, 2.0] and data[n] == 1.0 and data[-1] == 1.0 / 5000
    by_time = np.frombuffer(client.get("/api/runs/proj/run00001/points",
                                       params={"key": "loss", "x_axis": "_runtime"}).content, dtype="<f8")
    assert by_time[1] > by_time[0]
    bad = client.get("/api/runs/proj/run00001/points", params={"key": "loss", "x_axis": "epoch"})
    assert bad.status_code == 400 and "_step" in bad.json()["error"]
    missing = client.get("/api/runs/proj/run00001/points", params={"key": "nope"})
    assert missing.status_code == 404 and missing.json()["ok"] is False


def test_metric_definitions_of_a_project(tmp_path: Path) -> None:
    import runyard

    root = tmp_path / "runs"
    run = runyard.init(dir=root, project="dm", name="a")
    run.define_metric("epoch")
    run.define_metric("val/*", step_metric="epoch")
    for e in range(3):
        run.log({"train/loss": 1.0 / (e + 1)})
        run.log({"val/acc": 0.5 + e / 10, "epoch": e})
    run.finish()
    with InProcessClient(create_app(root, follow=False)) as c:
        got = c.get("/api/projects/dm/metrics").json()["metrics"]
        assert {"name": "val/*", "step_metric": "epoch", "runs": 1} in got
        assert c.get("/api/projects/nope/metrics").status_code == 404
