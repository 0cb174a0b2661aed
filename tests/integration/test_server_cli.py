"""``runyard ui`` and ``runyard reindex`` as the click commands the CLI registers."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from runyard.server.cli_commands import reindex_command, ui_command
from runyard.store.fixtures import LogWriter


def make_runs(root: Path) -> None:
    w = LogWriter(root, "proj", "run00001")
    for i in range(100):
        w.row({"loss": 1.0 / (i + 1)})
    w.end()


def _read_until(sock: socket.socket, marker: bytes, limit: int = 64) -> bytes:
    """What the socket sends until ``marker`` appears (at most ``limit`` reads; the socket's timeout bounds each)."""
    seen = b""
    for _ in range(limit):
        chunk = sock.recv(4096)
        seen += chunk
        if marker in seen or not chunk:
            break
    return seen


def test_reindex_command(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    make_runs(root)
    result = CliRunner().invoke(reindex_command(), [str(root)])
    assert result.exit_code == 0, result.output
    assert "reindexed 1 runs, 100 points" in result.output
    assert (root / ".runyard" / "index.sqlite3").is_file()
    missing = CliRunner().invoke(reindex_command(), [str(tmp_path / "nope")])
    assert missing.exit_code != 0 and "not a folder of runs" in missing.output


def test_ui_command_serves(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    make_runs(root)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = "import sys; from runyard.server.cli_commands import ui_command; ui_command()(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, str(root), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    stream: socket.socket | None = None
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
                if r.status_code == 200 and r.json()["ingested"]:
                    body = httpx.get(f"http://127.0.0.1:{port}/api/projects/proj/runs", timeout=5).json()
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        assert body is not None, proc.stdout.read().decode() if proc.poll() is not None and proc.stdout else ""
        assert [r["id"] for r in body["runs"]] == ["run00001"]
        # on loopback, answers go as they are (a team server gzips them)
        assert "content-encoding" not in httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10).headers
        # a browser tab's live-events stream is open when Ctrl+C comes: it must not hold the server
        stream = socket.create_connection(("127.0.0.1", port), timeout=10)
        stream.sendall(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        assert b"event: hello" in _read_until(stream, b"event: hello")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            stopped = proc.wait(10)
        except subprocess.TimeoutExpired:
            stopped = None
            proc.kill()
            proc.wait(10)
        out = proc.stdout.read().decode() if proc.stdout else ""
        if proc.stdout:
            proc.stdout.close()
        if stream is not None:
            stream.close()
    assert stopped is not None, "runyard ui did not stop on Ctrl+C with a live-events stream open"
    assert "Traceback" not in out and "ERROR" not in out, out
    assert f"serving {root}" in out
    bad = CliRunner().invoke(ui_command(), [str(tmp_path / "nope")])
    assert bad.exit_code != 0 and "not a folder of runs" in bad.output


def test_ui_command_on_a_busy_port_says_so_first(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    make_runs(root)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(ui_command(), [str(root), "--port", str(port)])
    assert result.exit_code != 0
    assert result.output.startswith(f"Error: port {port} is in use — try --port {port + 1}"), result.output
    assert "serving" not in result.output
