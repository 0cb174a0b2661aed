"""Serving the app in tests: ``InProcessClient`` calls the ASGI app through httpx in this process,
lifespan included (starlette's TestClient warns with the httpx installed here, and warnings are
errors in tests); ``serve_in_thread`` serves it over real HTTP on a loopback port."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from types import TracebackType
from typing import Any

import anyio.from_thread
import httpx
from fastapi import FastAPI


class InProcessClient:
    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def __enter__(self) -> InProcessClient:
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self.portal = self._portal_cm.__enter__()
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.portal.call(self._lifespan.__aenter__)
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://127.0.0.1")
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        try:
            self.portal.call(self._client.aclose)
            self.portal.call(self._lifespan.__aexit__, None, None, None)
        finally:
            self._portal_cm.__exit__(et, ev, tb)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.portal.call(partial(self._client.request, method, url, **kwargs))
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@contextmanager
def serve_in_thread(app: FastAPI, host: str = "127.0.0.1", timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port of ``host`` in a thread; yield its base URL
    once it answers and its first ingest pass is done; stop it on exit."""
    import urllib.request

    import uvicorn

    from .app import SHUTDOWN_GRACE_S

    with socket.socket() as s:
        s.bind((host, 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="error",
                                           timeout_graceful_shutdown=SHUTDOWN_GRACE_S))
    thread = threading.Thread(target=server.run, name="runyard-test-server", daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    try:
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the server on {base} did not start within {timeout} s")
            time.sleep(0.02)
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{base}/api/health", timeout=timeout) as resp:
                if json.loads(resp.read()).get("ingested", True):
                    break
            time.sleep(0.02)
        yield base
    finally:
        stopping = getattr(app.state, "stopping", None)
        if stopping is not None:  # as a signal would (server/stopping.py)
            stopping.stop()
        server.should_exit = True
        thread.join(timeout)
