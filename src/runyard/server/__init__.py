"""The HTTP server: the JSON API the web UI uses (OpenAPI at ``/openapi.json``), live ingest of
run logs into the index, and server-sent events for live updates.

FastAPI, uvicorn and SQLAlchemy are the ``server`` extra; nothing here is imported by
``import runyard``. ``create_app(root, store_url)`` builds the ASGI app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(root: Any, store_url: Any = None, **kwargs: Any) -> FastAPI:
    from .app import create_app as _create

    return _create(root, store_url, **kwargs)


__all__ = ["create_app"]
