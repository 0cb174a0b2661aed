"""``runyard.Api(base_url=...)`` against a real server on a loopback port answers like the local
folder (docs/read-api.md), and ``Run.series`` is the chart's series both ways."""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import runyard

uvicorn = pytest.importorskip("uvicorn", reason="the server extra is not installed")


@pytest.fixture
def logged(runs_dir: Path) -> list[str]:
    ids = []
    for i, lr in enumerate((0.1, 0.01)):
        run = runyard.init(project="p", config={"lr": lr, "nested": {"depth": i}}, tags=["t", f"n{i}"])
        for step in range(3000):
            value = math.sin(step / 50) + (25.0 if step == 1234 else 0.0)
            run.log({"loss": value, "epoch": step // 100, "text": f"s{step}"})
        run.log({"odd": math.nan, "img": runyard.Image(np.zeros((4, 4, 3), np.uint8))})
        run.summary["best"] = 1.5 + i
        run.finish()
        ids.append(run.id)
    return ids


@pytest.fixture
def server(runs_dir: Path, logged: list[str]) -> Iterator[str]:
    from runyard.server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(runs_dir), host="127.0.0.1", port=port, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start within 30 s"
    base = f"http://127.0.0.1:{port}"
    api = runyard.Api(base_url=base)
    while not api._http.get("/api/health").get("ingested", True) and time.time() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
    yield base
    srv.should_exit = True
    thread.join(timeout=10)


def strip(row: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in row.items() if not (isinstance(v, dict) or hasattr(v, "ref"))}


def test_http_answers_like_the_folder(runs_dir: Path, server: str, logged: list[str]) -> None:
    local, remote = runyard.Api(runs_dir), runyard.Api(base_url=server)
    assert remote.projects() == local.projects() == ["p"]
    for api in (local, remote):  # each a str, with wandb's Project attributes
        (p,) = api.projects()
        assert (p.name, p.entity, p.path, api.project("p").name, api.project("local/p")) == \
            ("p", "local", ["local", "p"], "p", "p")
        with pytest.raises(runyard.UsageError, match="no project 'q'"):
            api.project("q")
    assert local.projects()[0].url is None and remote.projects()[0].url == f"{server}/p/p"
    for flt, order in (({"config.lr": {"$lt": 0.05}}, "-created_at"), ({"tags": "t"}, "+config.lr"), (None, "-summary_metrics.best")):
        assert [r.id for r in remote.runs("p", flt, order)] == [r.id for r in local.runs("p", flt, order)]
    for rid in logged:
        a, b = local.run(f"p/{rid}"), remote.run(f"local/p/{rid}")
        assert (a.name, a.state, a.tags, a.config, a.path) == (b.name, b.state, b.tags, b.config, b.path)
        assert a.history_rows == b.history_rows == 3001 and a.lastHistoryStep == b.lastHistoryStep
        assert a.metadata["host"] == b.metadata["host"]
        sa, sb = a.summary, b.summary
        assert sa["best"] == sb["best"] and sa["loss"] == sb["loss"] and math.isnan(sb["odd"])
        rows_a = [strip(r) for r in a.scan_history(keys=["loss", "epoch"])]
        rows_b = [strip(r) for r in b.scan_history(keys=["loss", "epoch"], page_size=700)]
        assert rows_a == rows_b and len(rows_a) == 3000
        ha = [strip(r) for r in a.history(samples=100, pandas=False)]
        hb = [strip(r) for r in b.history(samples=100, pandas=False)]
        assert [r["_step"] for r in ha] == [r["_step"] for r in hb] and len(ha) == 100
        img = [r for r in b.scan_history(keys=["img"])][0]["img"]
        assert img["_type"] == "image-file" and b.download(img["path"])[:8] == b"\x89PNG\r\n\x1a\n"
        assert a.series("loss", samples=200) == b.series("loss", samples=200)


def test_series_keeps_the_spike_and_zooms_to_full_resolution(runs_dir: Path, server: str, logged: list[str]) -> None:
    for run in (runyard.Api(runs_dir).run(f"p/{logged[0]}"), runyard.Api(base_url=server).run(f"p/{logged[0]}")):
        s = run.series("loss", samples=100)
        assert len(s["x"]) <= 100 and max(v for v in s["max"] if v is not None) > 24  # the spike at step 1234
        assert s["x"][0] == 0 and s["x_last"][-1] == 2999
        z = run.series("loss", samples=1000, x_range=(1200, 1300))
        assert z["full_resolution"] and z["x"] == list(range(1200, 1301))
        by_epoch = run.series("loss", x_axis="epoch", samples=50)
        assert len(by_epoch["x"]) <= 50


def test_summary_edit_over_http_persists(runs_dir: Path, server: str, logged: list[str]) -> None:
    run = runyard.Api(base_url=server).run(f"p/{logged[1]}")
    run.summary["note"] = "checked"
    del run.summary["best"]
    run.summary.update()
    local = runyard.Api(runs_dir).run(f"p/{logged[1]}")
    assert local.summary["note"] == "checked" and "best" not in local.summary
    run.name = "x"  # the name goes through PATCH .../{run}; the config cannot be edited over HTTP
    run.update()
    assert runyard.Api(runs_dir).run(f"p/{logged[1]}").name == "x"
    run.config["lr"] = 1.0
    with pytest.raises(runyard.UsageError, match="not the config"):
        run.update()


def test_errors_name_the_problem(server: str) -> None:
    from runyard.api.http import ServerError

    api = runyard.Api(base_url=server)
    with pytest.raises(ServerError, match="HTTP 404"):
        api.run("p/zzzzzzzz")
    with pytest.raises(runyard.UsageError, match="cannot reach the runyard server"):
        runyard.Api(base_url="http://127.0.0.1:9").projects()


def test_wait_until_finished_and_wandbs_derived_attributes(runs_dir: Path, server: str, logged: list[str]) -> None:
    """A running run: ``wait_until_finished`` times out while it runs, then returns the state it
    ended in, with the summary read anew; ``summary_metrics`` and ``json_config`` as wandb has them,
    the same both ways."""
    import json

    live = runyard.init(project="p", config={"lr": 0.5}, settings={"fsync_interval": 0.0})
    live.log({"loss": 1.0})
    local, remote = runyard.Api(runs_dir).run(f"p/{live.id}"), None
    deadline = time.monotonic() + 30  # the server indexes the new run within its interval
    while remote is None and time.monotonic() < deadline:
        try:
            remote = runyard.Api(base_url=server).run(f"p/{live.id}")
        except Exception:  # noqa: BLE001 - not indexed yet
            time.sleep(0.1)
    assert remote is not None
    for run in (local, remote):
        assert run.state == "running"
        with pytest.raises(TimeoutError, match=f"run {live.id} is still running after 0.3 s"):
            run.wait_until_finished(timeout=0.3, poll=0.1)
    live.log({"loss": 0.25})
    live.finish()
    for run in (local, remote):
        assert run.wait_until_finished(timeout=30, poll=0.1) == "finished"
        assert run.summary_metrics["loss"] == 0.25 and type(run.summary_metrics) is dict
        assert json.loads(run.json_config) == {"lr": {"value": 0.5, "desc": None}}
    runyard.Api(base_url=server).flush()  # nothing cached: nothing to drop, and no error
