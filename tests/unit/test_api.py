"""docs/read-api.md: Api().runs filters and orders, history sampling, scan_history, files."""

from __future__ import annotations

import pandas as pd
import pytest

import runyard
from runyard.filters import FilterError, matches


@pytest.fixture
def three_runs() -> list[str]:
    ids = []
    for i, (lr, tags, acc) in enumerate(((0.1, ["a"], 0.5), (0.01, ["b"], 0.9), (0.001, ["a", "c"], 0.7))):
        run = runyard.init(project="proj", config={"lr": lr, "opt": {"name": f"o{i}"}}, tags=tags, name=f"run-{i}")
        run.log({"acc": acc})
        run.finish()
        ids.append(run.id)
    return ids


def names(runs: list[runyard.ApiRun]) -> list[str]:
    return [r.name for r in runs]


def test_filters_on_config_summary_state_tags_and_names(three_runs: list[str]) -> None:
    api = runyard.Api()
    assert names(api.runs("proj", {"config.lr": {"$gt": 0.005}}, order="+config.lr")) == ["run-1", "run-0"]
    assert names(api.runs("local/proj", {"config.lr.value": 0.1})) == ["run-0"]
    assert names(api.runs("proj", {"summary_metrics.acc": {"$gte": 0.7}}, order="-summary_metrics.acc")) == ["run-1", "run-2"]
    assert names(api.runs("proj", {"tags": "a"}, order="+display_name")) == ["run-0", "run-2"]
    assert names(api.runs("proj", {"tags": {"$in": ["c", "b"]}}, order="+display_name")) == ["run-1", "run-2"]
    assert names(api.runs("proj", {"$or": [{"config.lr": 0.1}, {"display_name": {"$regex": "-2$"}}]}, order="+display_name")) == ["run-0", "run-2"]
    assert names(api.runs("proj", {"$and": [{"state": "finished"}, {"config.opt.name": {"$ne": "o0"}}]}, order="+created_at")) == ["run-1", "run-2"]
    assert names(api.runs("proj", {"config.missing": {"$exists": False}}, order="+created_at")) == ["run-0", "run-1", "run-2"]
    assert names(api.runs("proj", order="-created_at")) == ["run-2", "run-1", "run-0"]
    assert api.runs("nope") == []


def test_bad_filters_are_clear_errors() -> None:
    with pytest.raises(FilterError, match="unknown operator '\\$near'"):
        matches({"config": {"a": 1}}, {"config.a": {"$near": 1}})
    with pytest.raises(FilterError, match="\\$or needs a list"):
        matches({}, {"$or": {"a": 1}})
    with pytest.raises(FilterError, match="not a valid regular expression"):
        matches({"display_name": "x"}, {"display_name": {"$regex": "("}})


def test_run_paths_in_every_form(three_runs: list[str]) -> None:
    api = runyard.Api()
    rid = three_runs[0]
    for path in (f"local/proj/{rid}", f"proj/{rid}", f"local/proj/runs/{rid}"):
        assert api.run(path).id == rid
    assert api.run(f"proj/{rid}").path == ["local", "proj", rid]
    with pytest.raises(runyard.UsageError, match="no run 'zzzzzzzz'"):
        api.run("proj/zzzzzzzz")
    with pytest.raises(ValueError, match="expected a run path"):
        api.run("a/b/c/d/e")


def test_history_is_sampled_deterministically_with_first_and_last() -> None:
    run = runyard.init(project="p")
    for i in range(10_000):
        run.log({"loss": 1 / (i + 1), "epoch": i // 100})
        if i % 10 == 0:
            run.log({"val": float(i)}, commit=False)
    run.finish()
    r = runyard.Api().run(run.path)
    a = r.history(samples=500)
    b = r.history(samples=500)
    assert isinstance(a, pd.DataFrame) and len(a) == 500
    assert a.equals(b)
    assert a["_step"].iloc[0] == 0 and a["_step"].iloc[-1] == 9_999
    val = r.history(keys=["val"], pandas=False, samples=100_000)
    assert [row["_step"] for row in val] == list(range(1, 10_000, 10))  # commit=False joins the next row
    assert set(val[0]) == {"_step", "val"}
    by_epoch = r.history(keys=["loss"], x_axis="epoch", samples=50, pandas=False)
    assert len(by_epoch) == 50 and set(by_epoch[0]) == {"_step", "epoch", "loss"}


def test_scan_history_streams_every_row_with_step_bounds() -> None:
    run = runyard.init(project="p")
    for i in range(3000):
        run.log({"x": i})
    run.finish()
    r = runyard.Api().run(run.path)
    it = r.scan_history(page_size=100)
    assert next(it)["x"] == 0  # a generator: rows stream
    assert [row["x"] for row in r.scan_history(min_step=10, max_step=20)] == list(range(10, 20))
    assert sum(1 for _ in r.scan_history()) == 3000


def test_files_and_download(tmp_path: object) -> None:
    run = runyard.init(project="p")
    run.log({"h": runyard.Histogram([1, 2, 3])})
    run.finish()
    r = runyard.Api().run(run.path)
    names_ = [f.name for f in r.files()]
    assert "run.rylog" in names_
    target = r.file("run.rylog").download(str(tmp_path))
    assert target.read_bytes()[:5] == b"RYLOG"
    with pytest.raises(FileExistsError, match="replace=True"):
        r.file("run.rylog").download(str(tmp_path))
    with pytest.raises(FileNotFoundError):
        r.file("../../etc/passwd")
