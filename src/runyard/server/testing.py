"""``InProcessClient``: call the ASGI app through httpx in this process, lifespan included
(starlette's TestClient warns with the httpx installed here, and warnings are errors in tests)."""

from __future__ import annotations

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
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://testserver")
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

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)
