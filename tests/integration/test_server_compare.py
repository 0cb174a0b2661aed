"""The compare view's server side: run edits (name, tags, notes) written to the run log as UPDATE
records, so they survive a reindex; the parameter-importance table (correlation, and a random
forest when scikit-learn is installed)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

import runyard
from runyard.log.reader import RunFolder
from runyard.server import create_app
from runyard.server.testing import InProcessClient
from runyard.store.fixtures import LogWriter


def test_run_edits_go_to_the_log_and_survive_a_reindex(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "proj", "run00001", name="first", tags=["a"])
    w.row({"loss": 1.0})
    w.end()
    with InProcessClient(create_app(root, follow=False)) as c:
        r = c.patch("/api/runs/proj/run00001", json={"name": " baseline ", "tags": ["best", "adam", "best"],
                                                     "notes": "the one to beat"})
        assert r.status_code == 200, r.text
        assert r.json()["run"] == {"id": "run00001", "name": "baseline", "tags": ["best", "adam"], "notes": "the one to beat"}
        listed = c.get("/api/projects/proj/runs").json()["runs"][0]
        assert (listed["name"], listed["tags"], listed["notes"]) == ("baseline", ["best", "adam"], "the one to beat")
        # one field at a time leaves the others
        assert c.patch("/api/runs/proj/run00001", json={"notes": None}).json()["run"]["tags"] == ["best", "adam"]
        # bad input: the one error shape, naming what is wrong, nothing written
        before = (root / "proj" / "run00001" / "run.rylog").stat().st_size
        for body, word in (({"tags": "best"}, "tags"), ({"tags": ["x" * 65]}, "tag"), ({"name": ""}, "name"),
                           ({"state": "finished"}, "'state'"), ({}, "body"), ({"notes": 3}, "notes")):
            bad = c.patch("/api/runs/proj/run00001", json=body)
            assert bad.status_code == 400 and bad.json()["ok"] is False and word in bad.json()["error"], (body, bad.text)
        assert (root / "proj" / "run00001" / "run.rylog").stat().st_size == before
        assert c.patch("/api/runs/proj/nope", json={"name": "x"}).status_code == 404
        # a running run is refused (its writer holds the log)
        LogWriter(root, "proj", "live0001", alive=True).row({"a": 1.0})
        c.app.state.ingestor.ingest_all()  # type: ignore[attr-defined]
        busy = c.patch("/api/runs/proj/live0001", json={"name": "x"})
        assert busy.status_code == 409 and "still running" in busy.json()["error"]
    state, _ = RunFolder(root / "proj" / "run00001").load_state()
    assert (state.name, state.tags, state.notes) == ("baseline", ["best", "adam"], None)
    (root / ".runyard" / "index.sqlite3").unlink()  # a reindex reads the edit back from the log
    with InProcessClient(create_app(root, follow=False)) as c:
        again = c.get("/api/runs/proj/run00001").json()
        assert (again["name"], again["tags"], again["notes"]) == ("baseline", ["best", "adam"], None)
        # the read API sees the same
    api_run = runyard.Api(root).run("proj/run00001")
    assert api_run.name == "baseline" and api_run.tags == ["best", "adam"]


def _sweep(root: Path, n: int = 24) -> None:
    rnd = random.Random(7)
    for _ in range(n):
        lr = 10 ** rnd.uniform(-5, -1)
        cfg = {"lr": lr, "seed": rnd.randint(0, 1000), "optimizer": rnd.choice(["adam", "sgd"]), "fixed": 3,
               "model": {"width": rnd.choice([64, 128])}}
        run = runyard.init(dir=root, project="sweep", config=cfg)
        loss = (math.log10(lr) + 3) ** 2 + 0.01 * rnd.random()  # lr matters, seed does not
        run.log({"val/loss": loss})
        run.summary["acc"] = {"min": 0.1, "last": 1 / (1 + loss)}  # define_metric-style aggregates
        run.finish()


def test_parameter_importance(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    root = tmp_path / "runs"
    _sweep(root)
    with InProcessClient(create_app(root, follow=False)) as c:
        res = c.get("/api/projects/sweep/importance", params={"target": "val/loss"}).json()
        assert res["method"] == "random_forest" and res["runs"] == 24 and res["note"] is None
        by = {p["key"]: p for p in res["params"]}
        assert "fixed" not in by  # constant over the runs: nothing to learn from it
        assert set(by) == {"lr", "seed", "optimizer", "model.width"}
        assert res["params"][0]["key"] == "lr"  # the forest ranks lr first
        assert by["lr"]["importance"] > 5 * by["seed"]["importance"]
        assert abs(sum(p["importance"] for p in res["params"]) - 1) < 1e-9
        assert by["optimizer"]["kind"] == "category" and by["optimizer"]["correlation"] is None
        assert abs(by["seed"]["correlation"]) < 0.6
        # same runs, same table (the forest is seeded)
        assert c.get("/api/projects/sweep/importance", params={"target": "val/loss"}).json() == res
        # an aggregate of a multi-aggregate summary is a target of its own, like its column
        acc = c.get("/api/projects/sweep/importance", params={"target": "acc.last"}).json()
        assert acc["params"][0]["key"] == "lr"
        # a subset of runs
        ids = [r["id"] for r in c.get("/api/projects/sweep/runs").json()["runs"][:5]]
        assert c.get("/api/projects/sweep/importance", params={"target": "val/loss", "runs": ",".join(ids)}).json()["runs"] == 5
        bad = c.get("/api/projects/sweep/importance", params={"target": "nope"})
        assert bad.status_code == 400 and "'nope'" in bad.json()["error"] and "at least 3" in bad.json()["error"]


def test_parameter_importance_without_sklearn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    root = tmp_path / "runs"
    _sweep(root, 8)
    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)  # import fails as if not installed
    with InProcessClient(create_app(root, follow=False)) as c:
        res = c.get("/api/projects/sweep/importance", params={"target": "val/loss"}).json()
    assert res["method"] == "correlation" and "scikit-learn" in res["note"]
    assert all(p["importance"] is None for p in res["params"])
    assert {p["key"] for p in res["params"]} >= {"lr", "seed"}
