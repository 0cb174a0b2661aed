"""Smoke run of benchmarks/ingest_cost.py (--quick): every replayed batch is applied in a group's
transaction, larger batches cost more per batch and less per point, and the last line is one
JSON object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runyard.store.fixtures import postgres_url

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]


def test_ingest_cost_quick() -> None:
    if postgres_url() is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test')")
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "ingest_cost.py"
    proc = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    small, large = result["rows"]
    for row in (small, large):
        assert row["batches"] == 20 * 2 and row["alone"] == 0  # every batch applied together with others
        assert row["wall_ms_per_batch"] > 0 and row["postgres_cpu_ms_per_batch"] >= 0
    # 0.5 s and 2.0 s of 100 metrics at 10 steps/s: 5 and 20 rows a batch (the runs' phases spread
    # a row or so between cycles)
    assert abs(small["points_per_batch"] - 500) <= 20 and abs(large["points_per_batch"] - 2000) <= 20
    assert small["cpu_us_per_point"] > large["cpu_us_per_point"]
    assert "fixed_ms_per_batch" in result and "floor_cycle_s" in result
