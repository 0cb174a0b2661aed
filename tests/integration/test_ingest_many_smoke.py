"""Smoke run of benchmarks/ingest_many.py at a hundredth of its scale: it writes real run logs,
indexes them and ends with one JSON line of its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "ingest_many.py"


def test_ingest_many_runs_at_small_scale(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--scale", "0.01", "--repeat", "1", "--keep", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["wide"]["runs"] == 3 and figures["wide"]["points"] == 3 * 300 * 100
    assert figures["many"]["runs"] == 10 and figures["long"]["steps"] == 20_000
    for name in ("wide", "many", "long"):
        assert figures[name]["median_s"] > 0 and figures[name]["points_per_s"] > 0
