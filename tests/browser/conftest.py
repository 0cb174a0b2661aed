"""Browser tests: Debian's chromium driven by Playwright against the real server.

A session fixture logs real runs through the SDK (in a subprocess, as a training script would),
serves them with ``runyard.server.create_app`` on uvicorn on a free 127.0.0.1 port, and the tests
open pages in chromium. Screenshots go to ``test-artifacts/browser/`` (look at them).
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parents[1] / "test-artifacts" / "browser"
UI_INDEX = HERE.parents[1] / "src" / "runyard" / "server" / "ui_dist" / "index.html"

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if not os.path.exists(CHROMIUM):
                item.add_marker(pytest.mark.skip(reason=f"needs Debian's chromium at {CHROMIUM}: apt-get install -y chromium"))
            elif not UI_INDEX.is_file():
                item.add_marker(pytest.mark.skip(reason="the web UI is not built: cd web && npm ci && npm run build"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Never `playwright install`: Playwright's own browser download does not work here.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url() -> None:
    # pytest-playwright's own fallback fixture is an instance method, which this pytest warns
    # about (and warnings are errors here); the tests build their URLs from `served.url`.
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, root: Path, ids: dict[str, list[str]], url: str) -> None:
        self.root, self.ids, self.url = root, ids, url


def serve(root: Path) -> Iterator[str]:
    import uvicorn

    from runyard.server import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(root, interval=0.2), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="ui-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the runyard server did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    import json
    from urllib.request import urlopen

    deadline = time.monotonic() + 120  # a busy machine (CI, parallel jobs) indexes slowly
    while True:  # the server answers at once and indexes in the background: wait for the first pass
        with urlopen(url + "/api/health") as r:
            if json.load(r).get("ingested", True):
                break
        if time.monotonic() > deadline:
            raise RuntimeError("the runyard server did not finish its first index pass")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


def log_in_subprocess(root: Path, code: str) -> str:
    env = {**os.environ, "RUNYARD_DIR": str(root), "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent),
                                                                 os.environ.get("PYTHONPATH", "")])}
    env.pop("RUNYARD_CONSOLE", None)  # capture the console: the run page shows it
    # Session fixtures run before the per-test environment of tests/conftest.py: say here that these
    # runs record no system metrics or environment (the pages' tests expect exactly what they log;
    # tests of those features pass settings of their own).
    env.setdefault("RUNYARD_SYSTEM_METRICS", "0")
    env.setdefault("RUNYARD_CAPTURE_ENVIRONMENT", "0")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"logging the test runs failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Project `vision` (three runs, metrics and every media kind) and `empty-keys`, served."""
    root = tmp_path_factory.mktemp("ui") / "runs"
    out = log_in_subprocess(root, f"import json, data; from pathlib import Path; "
                                  f"ids = data.make_workspace(Path({str(root)!r})); ids['rich'] = [data.make_rich(Path({str(root)!r}))]; ids['long'] = [data.make_long(Path({str(root)!r}))]; data.make_many(Path({str(root)!r})); "
                                  f"print(json.dumps(ids))")
    import json

    ids = json.loads(out.strip().splitlines()[-1])
    for url in serve(root):
        yield Served(root, ids, url)


@pytest.fixture
def console_errors(page: Any) -> Iterator[list[str]]:
    """Errors the page logs (console.error, uncaught exceptions); a test asserts it stays empty."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    yield errors


def shot(target: Any, name: str, **kw: Any) -> Path:
    """Saves a screenshot of a page or of one element (a Playwright locator) as an artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    target.screenshot(path=str(path), **kw)
    return path


def distinct_colors(png: bytes) -> int:
    """How many distinct colours an element's screenshot holds (a blank canvas has one or two)."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    img.thumbnail((200, 200))
    return len(set(img.tobytes()[i:i + 3] for i in range(0, img.width * img.height * 3, 3)))


INK_JS = """(sel) => {
    const c = document.querySelector(sel); if (!c) return 0;
    const ctx = c.getContext('2d'); const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const r0 = d[0], g0 = d[1], b0 = d[2], a0 = d[3]; let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i+3] !== a0 || d[i] !== r0 || d[i+1] !== g0 || d[i+2] !== b0) n++;
    }
    return n; }"""


def canvas_ink(page: Any, selector: str) -> int:
    """Pixels of a 2-D canvas unlike its first pixel: > 0 means something is drawn."""
    return int(page.evaluate(INK_JS, selector))


def wait_ink(page: Any, selector: str, minimum: int = 500, timeout: float = 10_000) -> int:
    """Waits until the 2-D canvas at ``selector`` has at least ``minimum`` drawn pixels."""
    page.wait_for_function(f"sel => ({INK_JS})(sel) >= {minimum}", arg=selector, timeout=timeout)
    return canvas_ink(page, selector)
