"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index_stores import KINDS, index_store
from runyard.store import Store
from team_cluster import ServedTeam, team_app_on_postgres


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty index, once on SQLite and once on PostgreSQL (skipped when it is not reachable)."""
    with index_store(request.param, tmp_path) as st:
        yield st


@pytest.fixture
def team_app(tmp_path: Path) -> Iterator[Any]:
    """A team server's app (FastAPI) on PostgreSQL, in a schema of its own that is dropped after,
    with its blobs in a folder."""
    with team_app_on_postgres(tmp_path / "blobs") as app:
        yield app


@pytest.fixture
def served_team(team_app: Any) -> Iterator[ServedTeam]:
    """``team_app`` served in this process (uvicorn on loopback), with one user, alice."""
    from runyard.server.auth import create_user
    from runyard.server.testing import serve_in_thread

    store = team_app.state.store
    key = create_user(store, "alice")
    with serve_in_thread(team_app) as base:
        yield ServedTeam(base, key, store)
