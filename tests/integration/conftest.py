"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index_stores import KINDS, index_store
from runyard.store import Store


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty index, once on SQLite and once on PostgreSQL (skipped when it is not reachable)."""
    with index_store(request.param, tmp_path) as st:
        yield st
