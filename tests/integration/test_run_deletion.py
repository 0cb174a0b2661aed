"""Deleting a run (docs/read-api.md, "Deleting a run"): ``run.delete()`` on a folder, over HTTP
on ``runyard ui`` and on a team server; a running run and a run that logged artifact versions
are refused, and nothing of theirs goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

import runyard
from runyard.store.removal import RunNotRemovable

pytest.importorskip("fastapi", reason="the server extra is not installed")

from runyard.server import create_app  # noqa: E402
from runyard.server.testing import InProcessClient, serve_in_thread  # noqa: E402


def finished(project: str = "del", n: int = 5, **kwargs: Any) -> Any:
    run = runyard.init(project=project, **kwargs)
    for i in range(n):
        run.log({"loss": 1.0 / (i + 1)})
    run.finish()
    return run


def test_a_folder_run_is_deleted_and_running_or_producing_ones_are_kept(runs_dir: Path, tmp_path: Path) -> None:
    keep, gone = finished(), finished()
    producer = runyard.init(project="del")
    (tmp_path / "d.txt").write_text("data")
    art = runyard.Artifact("data", type="dataset")
    art.add_file(str(tmp_path / "d.txt"))
    producer.log_artifact(art)
    producer.finish()
    live = runyard.init(project="del")  # this process writes it: its lock is held
    live.log({"loss": 1.0})
    api = runyard.Api(runs_dir)
    api.run(f"del/{gone.id}").delete()
    assert not Path(gone.dir).exists() and Path(keep.dir).exists()
    with pytest.raises(RunNotRemovable, match=f"run del/{live.id} is still running"):
        api.run(f"del/{live.id}").delete()
    with pytest.raises(RunNotRemovable, match=r"logged artifact versions \(data:v0\)"):
        api.run(f"del/{producer.id}").delete(delete_artifacts=True)
    assert Path(live.dir).exists() and Path(producer.dir).exists()
    live.finish()
    assert sorted(r.id for r in api.runs("del")) == sorted([keep.id, producer.id, live.id])
    api.run(f"del/{live.id}").delete()  # finished now
    assert not Path(live.dir).exists()


def test_over_http_a_run_leaves_the_index_at_once_and_edits_of_its_name_are_saved(runs_dir: Path) -> None:
    keep, gone = finished(), finished()
    app = create_app(runs_dir)
    with serve_in_thread(app) as base:
        api = runyard.Api(base_url=base)
        run = api.run(f"del/{keep.id}")
        run.name, run.tags = "the keeper", ["best"]
        run.update()  # name and tags over HTTP (only the summary could be saved before)
        assert (api.run(f"del/{keep.id}").name, api.run(f"del/{keep.id}").tags) == ("the keeper", ["best"])
        api.run(f"del/{gone.id}").delete()
        assert [r.id for r in api.runs("del")] == [keep.id]
        missing = httpx.get(f"{base}/api/runs/del/{gone.id}", timeout=30)
        again = httpx.delete(f"{base}/api/runs/del/{gone.id}", timeout=30)
        assert missing.status_code == again.status_code == 404
    assert not Path(gone.dir).exists() and runyard.Api(runs_dir).run(f"del/{keep.id}").name == "the keeper"


@pytest.mark.postgres
def test_on_a_team_server_the_log_it_holds_goes_and_others_cannot_delete(team_app: Any) -> None:
    from runyard.server.auth import create_user
    from runyard.store import team_schema as t

    store = team_app.state.store
    keys = {name: create_user(store, name) for name in ("alice", "bob")}
    done = finished()
    running = runyard.init(project="del")
    running.log({"loss": 1.0})
    logs = {r.id: (Path(r.dir) / "run.rylog").read_bytes() for r in (done, running)}
    with InProcessClient(team_app) as client:
        for run_id, log in logs.items():
            sent = client.post(f"/api/ingest/del/{run_id}", content=log,
                               headers={"X-Api-Key": keys["alice"], "X-Runyard-Offset": "0",
                                        "X-Runyard-Head": log[:16].hex()})
            assert sent.status_code == 200, sent.text
        alice, bob = {"X-Api-Key": keys["alice"]}, {"X-Api-Key": keys["bob"]}
        refused = client.delete(f"/api/runs/del/{done.id}", headers=bob)
        assert refused.status_code in (403, 404) and done.id not in refused.text
        busy = client.delete(f"/api/runs/del/{running.id}", headers=alice)
        assert busy.status_code == 409 and "still running" in busy.json()["error"]
        ok = client.delete(f"/api/runs/del/{done.id}", headers=alice)
        assert ok.status_code == 200, ok.text
        assert client.get(f"/api/runs/del/{done.id}", headers=alice).status_code == 404
        listed = client.get("/api/projects/del/runs", headers=alice).json()["runs"]
        assert [r["id"] for r in listed] == [running.id]
        # the server forgot the log: the run's sender would start it again from offset 0
        assert client.get(f"/api/ingest/del/{done.id}", headers=alice).json()["offset"] == 0
    running.finish()
    with store.read() as conn:
        held = conn.execute(sa.select(sa.func.count()).select_from(t.log_segments)
                            .where(t.log_segments.c.run_id == done.id)).scalar_one()
    assert held == 0
