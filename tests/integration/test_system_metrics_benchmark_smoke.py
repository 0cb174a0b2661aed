"""Smoke run of benchmarks/system_metrics.py: every figure present, as the last JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "system_metrics.py"


def test_system_metrics_quick_prints_its_figures_as_last_json_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--seconds", "2", "--steps", "5000"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads([ln for ln in proc.stdout.splitlines() if ln.strip()][-1])
    cpu = summary["sampler_cpu"]
    assert cpu["on"]["wall_s"] >= 2 and cpu["on"]["cpu_s"] >= 0 and cpu["cpu_ms_per_sample"] > 0
    assert len(summary["init_ms"]["capture_on"]) == 4 and summary["init_ms"]["capture_on"]["median"] > 0
    for mode in ("off", "on", "on_0.1s"):
        assert summary["log_overhead"][mode]["10"]["median_us"] > 0
