"""Smoke run of benchmarks/media_overhead.py: runyard only (no anchors needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "media_overhead.py"


def test_media_overhead_quick_prints_every_figure_as_last_json_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--libs", "runyard"],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    report = json.loads(lines[-1])
    results = {r["workload"]: r for r in report["results"]}
    assert set(results) == {"image", "audio", "video", "table"}
    for workload, r in results.items():
        assert "error" not in r, r
        for figure in ("call_us_median", "call_us_p95", "items_per_s", "bytes_per_item"):
            assert r[figure] > 0, (workload, figure, r)
    for figure in ("image_construct_us", "png_noise_runyard_ms", "wav_encode_1s_ms", "gif_encode_16x64x64_ms"):
        assert report["micro"][figure] > 0
    assert any(ln.startswith("runyard ") for ln in lines[:-1])
