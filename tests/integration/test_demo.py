"""`runyard demo` logs runs that use every kind of value (the README's main job)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import runyard

RUNYARD = str(Path(sys.executable).parent / "runyard")


def test_demo_logs_every_kind_and_lists_the_runs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [RUNYARD, "demo", "--dir", str(tmp_path), "--runs", "2", "--steps", "40", "--no-serve"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "RUNYARD_CONSOLE": "off"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "Logged 2 runs" in proc.stdout and "runyard ui" in proc.stdout
    runs = runyard.Api(tmp_path).runs("demo")
    assert len(runs) == 2 and all(r.state == "finished" and r.history_rows == 40 for r in runs)
    kinds = {k for kinds in runs[0].key_kinds.values() for k in kinds}
    assert {"number", "histogram", "image-file", "audio-file", "video-file", "html-file", "table-file",
            "object3D-file"} <= kinds
    summary = runs[0].summary
    kind_of = {k: (v if isinstance(v, dict) else v.ref).get("_type") for k, v in summary.items() if hasattr(v, "ref") or isinstance(v, dict)}
    assert kind_of["charts/pr"] == kind_of["charts/confusion"] == "custom-chart"
    assert kind_of["chem/caffeine"] == "molecule-file"
    assert kind_of["charts/plotly"] == kind_of["charts/matplotlib"] == "plotly-file"
    assert kind_of["final/weights"] == "histogram"
    assert set(summary["val/acc"]) == {"max"} and set(summary["train/loss"]) == {"min", "last"}
