"""Smoke run of benchmarks/log_overhead.py: runyard and the baseline only, no anchors needed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "log_overhead.py"


def test_log_overhead_quick_prints_runyard_figures_as_last_json_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--libs", "runyard,baseline", "--skip-memory"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    summary = json.loads(lines[-1])

    assert summary["failed"] == {}, summary["failed"]
    results = {(r["lib"], r["width"]): r for r in summary["results"]}
    for width in (1, 10, 100):
        ry = results[("runyard", width)]
        assert ry["steps"] > 0
        for figure in ("median_us", "p95_us", "points_per_s", "peak_rss_mb", "bytes_per_point"):
            assert ry[figure] > 0, (width, figure, ry)
        base = results[("baseline", width)]
        assert base["points_per_s"] > 0
        assert base["ratio_to_runyard"]["median_us"] is not None
        assert summary["floor"][str(width)]["multiple_of_floor"] is not None
    # the readable table came before the JSON line
    assert any(ln.startswith("runyard ") for ln in lines[:-1])
