"""Serving the built web UI (``web/`` → ``ui_dist/``) beside the API.

``install_ui(app)`` is called last in ``create_app``, after every ``/api`` route:

- ``/assets/*`` are Vite's content-hashed files: served with a year-long ``immutable`` cache;
- every other GET that is not under ``/api`` (``/``, ``/p/mnist``, ``/p/mnist/r/abc123``) answers
  ``index.html`` (never cached, so a new build is picked up on reload), and the UI's router draws
  the page that URL names, so links can be shared and reloaded;
- when the UI was not built, ``/`` says so and gives the command that builds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .errors import ApiError

UI_DIST = Path(__file__).resolve().parent / "ui_dist"
BUILD_COMMAND = "cd web && npm ci && npm run build"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>runyard</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}}
code{{background:#8881;padding:0 .2em}}</style></head>
<body><h1>runyard</h1>
<p><strong>The web UI is not built in this installation.</strong> From a git checkout, build it
with <code>{command}</code> (needs Node.js 20.19 or newer), then reload this page. The HTTP API works
without it:</p>
<ul><li><a href="/docs">API documentation</a></li><li><a href="/api/projects">/api/projects</a></li></ul>
<p>Serving runs from <code>{root}</code>.</p></body></html>
"""


class _HashedAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def install_ui(app: FastAPI, dist: Path = UI_DIST) -> None:
    """Serve the built UI from ``dist`` on every non-API GET route of ``app``."""
    root = getattr(app.state, "root", "")
    index = dist / "index.html"
    no_cache = {"Cache-Control": "no-cache"}

    if (dist / "assets").is_dir():
        app.mount("/assets", _HashedAssets(directory=dist / "assets"), name="ui-assets")

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    def ui_page(path: str) -> Any:
        if path == "api" or path.startswith("api/"):
            raise ApiError(404, "no such endpoint; see /openapi.json for the API")
        if not index.is_file():
            return HTMLResponse(NOT_BUILT.format(command=BUILD_COMMAND, root=root), headers=no_cache)
        direct = (dist / path).resolve()
        if path and direct.is_file() and direct.is_relative_to(dist.resolve()):
            return FileResponse(direct, headers=no_cache)  # favicon.svg and other top-level files
        return FileResponse(index, media_type="text/html; charset=utf-8", headers=no_cache)
