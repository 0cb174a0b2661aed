"""The door of the server (docs/http-api.md, "Limits and the door"): no request holds a worker,
bodies and paths are bounded, malformed input answers 4xx in the one error shape, run files are
sandboxed whatever their extension, the Host header is checked, remote binding is opt-in."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import runyard
from runyard.log.reader import LOG_NAME

pytest.importorskip("uvicorn", reason="the server extra is not installed")

from runyard.server import create_app  # noqa: E402
from runyard.server.door import INT64_MAX, check_bind  # noqa: E402
from runyard.server.testing import serve_in_thread  # noqa: E402


@pytest.fixture
def run_id(runs_dir: Path) -> str:
    ids = []
    for i in range(12):
        run = runyard.init(project="p", name="a" * 20_000 + str(i), config={"i": i})
        run.log({"loss": 0.5})
        run.finish()
        ids.append(run.id)
    files = runs_dir / "p" / ids[0] / "files"
    files.mkdir(parents=True, exist_ok=True)
    script = "<script>fetch('/api/projects')</script>"
    for name in ("page.xhtml", "page.xht", "page.xml", "page.html", "pic.svg", "data.bin", "plain.txt"):
        (files / name).write_text(f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{script}</body></html>')
    return ids[0]


@pytest.fixture
def base(runs_dir: Path, run_id: str) -> Iterator[str]:
    with serve_in_thread(create_app(runs_dir, allowed_hosts=["runs.example.org"], max_body=64 * 1024)) as url:
        yield url


def request(base: str, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, chunked: bool = False) -> tuple[int, dict[str, str], Any]:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        conn.putrequest(method, path, skip_host=bool(headers and "Host" in headers))
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None and not chunked:
            conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Content-Type", "application/json")
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
            conn.putheader("Content-Type", "application/json")
        conn.endheaders()
        if body is not None:
            if chunked:
                for i in range(0, len(body), 8192):
                    piece = body[i:i + 8192]
                    conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                conn.send(b"0\r\n\r\n")
            else:
                conn.send(body)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = raw
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, doc
    finally:
        conn.close()


def test_health_answers_while_the_worst_regex_runs(base: str) -> None:
    worst = json.dumps({"display_name": {"$regex": "^((.*?.*?)*)*x$"}})
    path = "/api/projects/p/runs?" + urllib.parse.urlencode({"filters": worst, "limit": 1})
    answers: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            answers.append(request(base, "GET", path)[0])

    workers = [threading.Thread(target=hammer) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        time.sleep(0.2)
        latencies = []
        for _ in range(15):
            started = time.perf_counter()
            status, _, doc = request(base, "GET", "/api/health")
            latencies.append(time.perf_counter() - started)
            assert status == 200 and doc["ok"] is True
            time.sleep(0.02)
    finally:
        stop.set()
        for w in workers:
            w.join(60)
    assert answers and set(answers) == {200}, answers
    assert statistics.median(latencies) < 0.1, latencies


def test_request_bodies_are_bounded(base: str, runs_dir: Path, run_id: str) -> None:
    log = runs_dir / "p" / run_id / LOG_NAME
    before = log.read_bytes()
    big = json.dumps({"update": {"x": "y" * 100_000}}).encode()
    for chunked in (False, True):
        status, _, doc = request(base, "PATCH", f"/api/runs/p/{run_id}/summary", big, chunked=chunked)
        assert status == 413 and doc["ok"] is False and "65536 bytes" in doc["error"], doc
    assert log.read_bytes() == before
    status, _, doc = request(base, "PATCH", f"/api/runs/p/{run_id}/summary", b'{"update": {"x": 1}}')
    assert status == 200 and doc["summary"]["x"] == 1


@pytest.mark.parametrize("path", [
    "/api/projects/p/runs?offset=" + str(2**70),
    "/api/projects/p/runs?offset=" + str(INT64_MAX + 1),
    "/api/runs/p/{run}/media?key=img&step=" + str(2**64),
    "/api/runs/p/{run}/history?after=" + str(2**64),
    "/api/runs/p/{run}/history?min_step=" + str(2**63),
    "/api/runs/p/{run}/output?after=" + str(2**80),
    "/api/runs/p/{run}/table?key=t&offset=" + str(2**66),
    "/api/events?since=" + str(2**64),
    "/api/projects/p/runs?filters=" + urllib.parse.quote('{"$and": [' * 3000 + "{}" + "]}" * 3000),
    "/api/projects/p/runs?filters=" + urllib.parse.quote('{"$or": [' * 50 + "{}" + "]}" * 50),
    "/api/projects/p/runs?filters=" + urllib.parse.quote('{"display_name": {"$regex": "(a)\\\\1"}}'),
    "/api/runs/p/{run}/files/" + "a/" * 3000 + "x.png",
    "/api/runs/p/{run}/files/" + "a/" * 1000 + "x.png",
    "/api/runs/p/{run}/files/" + "b" * 3000 + ".png",
    "/api/runs/p/{run}/series?key=loss&max_points=" + str(2**70),
    "/api/runs/p/{run}/series?key=loss&x_min=nan&x_max=1",
])
def test_malformed_input_answers_4xx_in_the_error_shape(base: str, run_id: str, path: str) -> None:
    status, _, doc = request(base, "GET", path.replace("{run}", run_id))
    assert 400 <= status < 500, (status, doc)
    if isinstance(doc, dict):
        assert doc["ok"] is False and doc["status"] == status and doc["error"]


def test_a_20000_value_in_is_a_400(runs_dir: Path, run_id: str) -> None:
    """Past uvicorn's 16 kB request line such a URL never reaches the app; called in-process, the
    app itself refuses it (behind a proxy with a larger limit)."""
    from runyard.server.testing import InProcessClient

    query = urllib.parse.urlencode({"filters": json.dumps({"config.i": {"$in": list(range(20_000))}})}).encode()
    with InProcessClient(create_app(runs_dir, follow=False)) as client:
        status, body = client.portal.call(raw_get, client.app, "/api/projects/p/runs", query)
    doc = json.loads(body)
    assert status == 400 and "at most 10000 values" in doc["error"], doc


async def raw_get(app: Any, path: str, query: bytes) -> tuple[int, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
             "root_path": ""}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_a_lone_surrogate_in_a_patch_body_is_a_400(base: str, run_id: str) -> None:
    status, _, doc = request(base, "PATCH", f"/api/runs/p/{run_id}/summary", b'{"update": {"x": "\\udc80"}}')
    assert status == 400 and "lone surrogate" in doc["error"]
    status, _, doc = request(base, "PATCH", f"/api/runs/p/{run_id}/summary", b'{"update": [1]}')
    assert status == 400
    status, _, doc = request(base, "PATCH", f"/api/runs/p/{run_id}/summary", b"\xff\xfe not json")
    assert status == 400 and doc["ok"] is False


@pytest.mark.parametrize("name", ["page.xhtml", "page.xht", "page.xml", "page.html", "pic.svg", "data.bin",
                                  "plain.txt"])
def test_run_files_are_sandboxed_whatever_their_extension(base: str, run_id: str, name: str) -> None:
    status, headers, _ = request(base, "GET", f"/api/runs/p/{run_id}/files/files/{name}")
    assert status == 200
    assert headers["content-security-policy"].startswith("sandbox")
    assert "allow-same-origin" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_the_host_header_must_name_this_server(base: str) -> None:
    port = urllib.parse.urlsplit(base).port
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.nip.io", ""):
        status, _, doc = request(base, "GET", "/api/projects", headers={"Host": host})
        assert status == 400 and "Host header" in doc["error"], (host, doc)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", "runs.example.org",
                 f"RUNS.example.org.:{port}", f"[::1]:{port}"):
        status, _, doc = request(base, "GET", "/api/projects", headers={"Host": host})
        assert status == 200, (host, doc)


def test_binding_beyond_loopback_needs_allow_remote() -> None:
    assert check_bind("127.0.0.1", False) is None
    assert check_bind("localhost", False) is None
    assert check_bind("::1", False) is None
    with pytest.raises(ValueError, match="--allow-remote"):
        check_bind("0.0.0.0", False)
    with pytest.raises(ValueError, match="--allow-remote"):
        check_bind("192.168.1.20", False)
    warning = check_bind("0.0.0.0", True)
    assert warning is not None and "warning" in warning and "no keys" in warning
    assert check_bind("0.0.0.0", False, keys=True) is None  # every request then needs a key


def test_the_cli_refuses_a_remote_host_without_allow_remote(runs_dir: Path, run_id: str) -> None:
    from click.testing import CliRunner

    from runyard.cli import main

    result = CliRunner().invoke(main, ["ui", str(runs_dir), "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code != 0 and "--allow-remote" in result.output


def test_openapi_lists_the_real_status_codes_and_bounds(base: str) -> None:
    _, _, spec = request(base, "GET", "/openapi.json")
    ops = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert ops
    for path, method, op in ops:
        codes = set(op["responses"])
        assert "422" not in codes, (path, method)
        assert {"400", "404", "413"} <= codes, (path, method, codes)
    assert "409" in spec["paths"]["/api/runs/{project}/{run_id}/summary"]["patch"]["responses"]
    assert "416" in spec["paths"]["/api/runs/{project}/{run_id}/files/{path}"]["get"]["responses"]
    params = {p["name"]: p["schema"] for p in spec["paths"]["/api/runs/{project}/{run_id}/history"]["get"]["parameters"]}
    assert params["after"]["maximum"] == INT64_MAX and params["min_step"]["maximum"] == INT64_MAX
