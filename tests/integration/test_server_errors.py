"""The one JSON error shape of the API, ``{"ok": false, "error": "...", "status": N}``, for every
kind of bad request, and no way to read a file outside a run's media."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runyard.server import create_app
from runyard.server.testing import InProcessClient
from runyard.store.fixtures import LogWriter


@pytest.fixture
def client(tmp_path: Path) -> Iterator[InProcessClient]:
    root = tmp_path / "runs"
    w = LogWriter(root, "proj", "run00001")
    (w.folder / "media" / "image").mkdir(parents=True)
    (w.folder / "media" / "image" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (w.folder / "secret.txt").write_text("not served")
    (tmp_path / "outside.txt").write_text("not served")
    (w.folder / "media" / "image" / "link.png").symlink_to(tmp_path / "outside.txt")
    for i in range(10):
        w.row({"loss": float(i), "name": "x"})
    w.end()
    with InProcessClient(create_app(root, follow=False)) as c:
        yield c


def check(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"ok", "error", "status"}
    assert body["ok"] is False and body["status"] == status and isinstance(body["error"], str)
    for word in words:
        assert word in body["error"], body["error"]


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"runs": "nope0000", "key": "loss"}, 404, ("unknown run",)),
    ({"runs": "run00001", "key": "nokey"}, 404, ("no key", "nokey")),
    ({"runs": "run00001", "key": "name"}, 400, ("holds no numbers", "string")),
    ({"runs": "run00001", "key": "loss", "x_min": 5, "x_max": 1}, 400, ("reversed",)),
    ({"runs": "run00001", "key": "loss", "x_min": 5}, 400, ("x_min and x_max",)),
    ({"runs": "run00001", "key": "loss", "max_points": 0}, 400, ("max_points",)),
    ({"runs": "run00001", "key": "loss", "max_points": 10**9}, 400, ("max_points",)),
    ({"runs": "run00001", "key": "loss", "max_points": "many"}, 400, ("max_points",)),
    ({"runs": "run00001", "key": "loss", "x_axis": "nokey"}, 404, ("x axis",)),
    ({"runs": "", "key": "loss"}, 400, ("runs",)),
    ({"key": "loss"}, 400, ("runs",)),
])
def test_series_errors(client: InProcessClient, params: dict[str, object], status: int,
                       words: tuple[str, ...]) -> None:
    check(client.get("/api/projects/proj/series", params=params), status, *words)


def test_run_errors(client: InProcessClient) -> None:
    check(client.get("/api/runs/proj/nope0000"), 404, "unknown run")
    check(client.get("/api/runs/noproj/run00001"), 404, "unknown project")
    check(client.get("/api/projects/proj/runs", params={"filters": "{bad json"}), 400, "not valid JSON")
    check(client.get("/api/projects/proj/runs", params={"filters": '{"config.x": {"$what": 1}}'}), 400, "$what")
    check(client.get("/api/projects/proj/runs", params={"order": "-bogus"}), 400, "unknown field")
    check(client.get("/api/projects/proj/runs", params={"limit": 0}), 400, "limit")
    check(client.get("/api/runs/proj/run00001/media", params={"key": "nothing"}), 404, "no media")
    check(client.get("/api/runs/proj/run00001/histograms", params={"key": "loss"}), 404, "no histograms")
    check(client.patch("/api/runs/proj/run00001/summary", json={"update": []}), 400, "update")
    check(client.patch("/api/runs/proj/run00001/summary", content=b"not json",
                       headers={"content-type": "application/json"}), 400, "invalid request")
    check(client.get("/api/no/such/endpoint"), 404, "no such endpoint")


@pytest.mark.parametrize("path", [
    "../run.rylog", "media/../run.rylog", "media/../../run00001/run.rylog", "secret.txt",
    "media/image/../../secret.txt", "%2e%2e/run.rylog", "media/%2e%2e/%2e%2e/secret.txt",
    "media/image/link.png", "/etc/passwd", "media/image/nothere.png", "media", "..%2f..%2foutside.txt",
])
def test_no_path_traversal(client: InProcessClient, path: str) -> None:
    r = client.get(f"/api/runs/proj/run00001/files/{path}")
    assert r.status_code == 404, (path, r.status_code, r.text[:100])
    assert r.json()["ok"] is False
    assert b"not served" not in r.content and b"RYLOG" not in r.content


def test_served_file_is_fine(client: InProcessClient) -> None:
    r = client.get("/api/runs/proj/run00001/files/media/image/a.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("header", "status"), [
    ("bytes=100-200", 416), ("bytes=abc", 400), ("items=0-1", 400), ("bytes=5-1", 400), ("bytes=-", 400),
])
def test_bad_ranges(client: InProcessClient, header: str, status: int) -> None:
    r = client.get("/api/runs/proj/run00001/files/media/image/a.png", headers={"Range": header})
    check(r, status, "ange")
    if status == 416:
        assert r.headers["content-range"] == "bytes */8"
