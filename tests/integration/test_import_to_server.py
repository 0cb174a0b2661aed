"""``runyard import ... --to URL``: imported runs reach a real team server (PostgreSQL, a blob
folder, uvicorn on loopback) with every point and media file, and importing again sends nothing twice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

pytest.importorskip("tensorboard", reason="needs the import-tensorboard extra (pip install 'runyard[import-tensorboard]')")
tensorboardX = pytest.importorskip("tensorboardX", reason="the test writes event files with tensorboardX")

from click.testing import CliRunner  # noqa: E402

import runyard  # noqa: E402
from runyard.cli import main  # noqa: E402
from runyard.store import team_schema as t  # noqa: E402
from team_cluster import ServedTeam  # noqa: E402

pytestmark = pytest.mark.postgres
STEPS = 120


def _logdir(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        w = tensorboardX.SummaryWriter(str(root / name))
        for i in range(STEPS):
            w.add_scalar("train/loss", 1.0 / (i + 1), i)
            if i % 10 == 0:
                w.add_scalar("val/acc", i / STEPS, i)
            if i % 40 == 0:
                w.add_image("sample", rng.random((3, 6, 6)), i)
        w.close()
    return root


def test_import_to_a_team_server_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      served_team: ServedTeam) -> None:
    base, key, store = served_team.url, served_team.key, served_team.store
    logdir = _logdir(tmp_path / "tb")
    args = ["import", "tensorboard", str(logdir), "--dir", str(tmp_path / "local"), "-p", "tb", "--to", base]
    monkeypatch.delenv("RUNYARD_API_KEY", raising=False)
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code != 0 and "no server or no key" in refused.output
    assert "send them later" in refused.output  # the local import is kept and said so

    monkeypatch.setenv("RUNYARD_API_KEY", key)
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "sent 2 run(s)" in first.output
    api = runyard.Api(base_url=base, api_key=key)
    remote = {r.name: r for r in api.runs("tb")}
    assert set(remote) == {"a", "b"}
    for run in remote.values():
        rows = list(run.scan_history())
        assert [r["_step"] for r in rows] == list(range(STEPS))
        assert all(r["train/loss"] == float(np.float32(1.0 / (r["_step"] + 1))) for r in rows)
        assert sum("val/acc" in r for r in rows) == STEPS // 10
        images = [r["sample"] for r in rows if "sample" in r]
        assert len(images) == 3
        local = tmp_path / "local" / "tb" / run.id
        for image in images:  # each media file is on the server, byte for byte
            assert run.download(image["path"]) == (local / image["path"]).read_bytes()
    with store.engine.connect() as conn:
        held = dict(conn.execute(sa.select(t.online_runs.c.run_id, t.online_runs.c.end_offset)).all())

    again = CliRunner().invoke(main, args)  # skipped locally, and nothing new for the server
    assert again.exit_code == 0, again.output
    assert "skipped 2 run(s)" in again.output and "sent 2 run(s)" in again.output
    with store.engine.connect() as conn:
        assert dict(conn.execute(sa.select(t.online_runs.c.run_id, t.online_runs.c.end_offset)).all()) == held
    assert all(len(list(r.scan_history())) == STEPS for r in api.runs("tb"))
