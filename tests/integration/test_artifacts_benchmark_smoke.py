"""Smoke run of benchmarks/artifacts.py at a tiny size: every figure is there and plausible."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "artifacts.py"


def test_artifacts_benchmark_prints_every_figure_as_last_json_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--files", "20", "--total-mb", "4", "--repeats", "1",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    figures = report["runyard"]
    for name in ("cp_s", "log_call_ms", "log_s", "relog_s", "download_s", "download_cached_s", "upload_mb_s"):
        assert figures[name]["median"] > 0 and figures[name]["mean"] > 0, name
    assert figures["relog_new_bytes"]["max"] == 0 and figures["relog_same_version"]["min"] == 1.0
    assert set(report["ratios"]) >= {"upload_vs_cp_speed", "relog_vs_first_time", "cached_download_vs_fresh"}
    assert "error" in report["mlflow"]  # no anchor interpreter given
    assert list(tmp_path.iterdir()) == []  # the data is removed
