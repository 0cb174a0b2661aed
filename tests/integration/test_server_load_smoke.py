"""Smoke run of benchmarks/server_load.py (--quick): two real server processes on PostgreSQL, every
point logged is acknowledged, and the last line is one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runyard.store.fixtures import postgres_url

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]


def test_server_load_quick() -> None:
    if postgres_url() is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test')")
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "server_load.py"
    done = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["points_indexed"] == result["points_logged"] > 0
    assert result["sample_visible"] == "20/20"
    assert result["chart_points"] == 20_000 and result["chart_server_ms_p50"] > 0
