"""``runyard import wandb --from-server``: runs pulled through wandb's public read API. No W&B server
is reachable from a test, so the importer reads a real runyard team server (PostgreSQL, uvicorn on
loopback) through ``runyard.Api(base_url=...)``, which offers the same surface; the wandb side of
the command is checked to fail cleanly against a loopback server that is not W&B."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import runyard
from runyard.cli import main
from runyard.importers.wandb_server import import_from_server
from team_cluster import ServedTeam

pytestmark = pytest.mark.postgres
STEPS = 60


def test_runs_come_from_a_server_with_their_media(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  served_team: ServedTeam) -> None:
    base, key = served_team.url, served_team.key
    monkeypatch.setenv("RUNYARD_FSYNC_INTERVAL", "0.1")
    monkeypatch.setenv("RUNYARD_DIR", str(tmp_path / "client"))
    monkeypatch.setenv("RUNYARD_BASE_URL", base)
    monkeypatch.setenv("RUNYARD_API_KEY", key)
    run = runyard.init(project="vision", mode="online", name="baseline", tags=["a", "b"], group="g",
                       notes="first try", config={"lr": 0.1, "layers": [64, 32]})
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    for i in range(STEPS):
        row: dict[str, object] = {"loss": 1.0 / (i + 1), "acc": math.nan if i == 7 else i / STEPS}
        if i % 20 == 0:
            row["img"] = runyard.Image(pixels + i)
            row["hist"] = runyard.Histogram(np.arange(10) * i)
        run.log(row)
    run.summary["best"] = 0.5
    run.finish()

    api = runyard.Api(base_url=base, api_key=key)
    report = import_from_server(["alice/vision"], tmp_path / "out", api=api)
    assert report.runs == 1 and not report.errors, report.lines()
    got = runyard.Api(root=tmp_path / "out").run(f"vision/{run.id}")
    assert (got.name, got.tags, got.group, got.notes) == ("baseline", ["a", "b"], "g", "first try")
    assert got.config["lr"] == 0.1 and got.config["layers"] == [64, 32]
    assert got.state == "finished" and got.summary["best"] == 0.5
    rows = list(got.scan_history())
    assert [r["_step"] for r in rows] == list(range(STEPS))
    assert all(r["loss"] == 1.0 / (r["_step"] + 1) for r in rows)
    assert math.isnan(rows[7]["acc"]) and rows[8]["acc"] == 8 / STEPS
    images = [r for r in rows if "img" in r]
    assert [r["_step"] for r in images] == [0, 20, 40]
    source = {r["_step"]: r for r in api.run(f"alice/vision/{run.id}").scan_history() if "hist" in r}
    for r in images:  # the pixels themselves came across, and every histogram bin
        assert np.array_equal(np.asarray(r["img"].to_pil()), pixels + r["_step"])
        hist = source[r["_step"]]["hist"]
        assert list(r["hist"].values) == hist["values"] and list(r["hist"].bins) == hist["bins"]
        assert sum(hist["values"]) == 10

    again = import_from_server(["alice/vision"], tmp_path / "out", api=api)
    assert again.runs == 0 and again.skipped == 1  # idempotent
    one = import_from_server([f"alice/vision/{run.id}"], tmp_path / "out2", api=api)
    assert one.runs == 1

    # the command line goes through the real wandb.Api: a server that is not W&B is one clear error
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    result = CliRunner().invoke(main, ["import", "wandb", "--from-server", "--base-url", base,
                                       "alice/vision", "--dir", str(tmp_path / "out3")])
    assert result.exit_code == 1 and f"could not sign in to {base}" in result.output, result.output
    assert not (tmp_path / "out3" / "vision").exists()
