"""``runyard runs``: a define_metric summary of several aggregates prints as ``min 1.48 · last 1.79``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import runyard
from runyard.cli import main


def test_runs_lists_multi_aggregate_summaries(tmp_path: Path) -> None:
    run = runyard.init(dir=tmp_path, project="p", name="agg")
    run.define_metric("loss", summary="min,last")
    for v in (2.0, 1.48, 1.79):
        run.log({"loss": v, "acc": 0.5})
    run.finish()
    out = CliRunner().invoke(main, ["runs", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "loss=min 1.48 · last 1.79" in out.output
    assert "acc=0.5" in out.output
