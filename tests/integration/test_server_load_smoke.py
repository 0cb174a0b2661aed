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
    # the benchmark bounds itself (a 30 s request timeout, a 60 s drain under --quick) and prints
    # why it failed; this timeout is only the last resort, and then what it printed is shown
    proc = subprocess.Popen([sys.executable, str(script), "--quick"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=270)
    except subprocess.TimeoutExpired:
        proc.terminate()  # the benchmark stops its servers on SIGTERM (they also die with it)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        pytest.fail(f"server_load.py --quick did not finish in 270 s; it printed:\n{out[-2000:]}\n{err[-4000:]}")
    assert proc.returncode == 0, err[-4000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["runs_unacknowledged"] == 0, err[-4000:]
    assert result["points_indexed"] == result["points_logged"] > 0
    assert result["sample_visible"] == "20/20"
    assert result["chart_points"] == 20_000 and result["chart_server_ms_p50"] > 0
