"""One filter engine: the index (SQL) and ``Api(root)`` (Python) evaluate the same parsed filter
and agree run for run, and refuse the same malformed filters (docs/http-api.md)."""

from __future__ import annotations

import getpass
import json
import math
from pathlib import Path
from typing import Any

import pytest

import runyard
from runyard.filters import FilterError

pytest.importorskip("fastapi", reason="the server extra is not installed")

from runyard.server import create_app  # noqa: E402
from runyard.server.testing import InProcessClient  # noqa: E402

FILTERS: list[Any] = [
    None,
    {"config.lr": {"$gt": 0.005}},
    {"config.lr.value": 0.1},
    {"config.opt.name": {"$in": ["o0", "o2"]}},
    {"config.opt.name": {"$nin": ["o0"]}},
    {"summary_metrics.acc": {"$gte": 0.7, "$lt": 0.95}},
    {"summary.acc": {"$not": {"$gt": 0.6}}},
    {"summary_metrics.loss": {"$float": "NaN"}},
    {"summary_metrics.note": "NaN"},
    {"tags": "a"},
    {"tags": {"$in": ["c", "b"]}},
    {"tags": {"$regex": "^[bc]$"}},
    {"display_name": {"$regex": "-[12]$"}},
    {"name": {"$exists": True}},
    {"$or": [{"config.lr": 0.1}, {"display_name": {"$regex": "-2$"}}]},
    {"$nor": [{"config.lr": 0.1}, {"state": "failed"}]},
    {"$and": [{"state": "finished"}, {"config.opt.name": {"$ne": "o0"}}]},
    {"config.missing": {"$exists": False}},
    {"config.flag": True},
    {"config.flag": 1},
    {"created_at": {"$gt": "2000-01-01T00:00:00Z"}},
    {"runtime": {"$gte": 0}},
    {"display_name": {"$regex": "^((.*?.*?)*)*x$"}},
    {"user": getpass.getuser()},
    {"user": {"$ne": getpass.getuser()}},
]
ORDERS = ["-created_at", "+config.lr", "-summary_metrics.acc,+display_name", "+display_name"]


@pytest.fixture
def runs(runs_dir: Path) -> list[str]:
    ids = []
    specs = ((0.1, ["a"], 0.5, True), (0.01, ["b"], 0.9, False), (0.001, ["a", "c"], 0.7, True))
    for i, (lr, tags, acc, flag) in enumerate(specs):
        run = runyard.init(project="proj", config={"lr": lr, "opt": {"name": f"o{i}"}, "flag": flag},
                           tags=tags, name=f"run-{i}")
        run.log({"acc": acc, "loss": math.nan if i == 1 else 1.0 / (i + 1), "note": "NaN" if i == 2 else "x"})
        run.finish()
        ids.append(run.id)
    return ids


def test_index_and_folder_agree_on_every_filter_and_order(runs_dir: Path, runs: list[str]) -> None:
    local = runyard.Api(runs_dir)
    with InProcessClient(create_app(runs_dir, follow=False)) as client:
        for flt in FILTERS:
            for order in ORDERS:
                params = {"order": order, **({"filters": json.dumps(flt)} if flt is not None else {})}
                answer = client.get("/api/projects/proj/runs", params=params)
                assert answer.status_code == 200, (flt, answer.json())
                served = [r["id"] for r in answer.json()["runs"]]
                folder = [r.id for r in local.runs("proj", flt, order)]
                assert served == folder, (flt, order)
        assert [r.id for r in local.runs("proj", {"tags": "a"}, "+created_at")] == [runs[0], runs[2]]
        # the runs' user: the OS login that started them, in the answer and the Api's run
        mine = local.runs("proj", {"user": getpass.getuser()})
        assert len(mine) == 3 and {r.user.username for r in mine} == {getpass.getuser()}
        assert {r["user"] for r in client.get("/api/projects/proj/runs").json()["runs"]} == {getpass.getuser()}


@pytest.mark.parametrize(("flt", "says"), [
    ({"config.a": {"$near": 1}}, "unknown operator '$near'"),
    ({"$or": {"a": 1}}, "$or needs a list"),
    ({"display_name": {"$regex": "("}}, "not a valid regular expression"),
    ({"display_name": {"$regex": "(a)\\1"}}, "back-references"),
    ({"nope": 1}, "unknown field 'nope'"),
    ({"config.a": {"$in": [1] * 10_001}}, "at most 10000 values"),
    ({"config.a": {"$gt": [1]}}, "needs a number or a string"),
    ({"created_at": {"$gt": "yesterday"}}, "ISO 8601"),
])
def test_both_refuse_the_same_filters(runs_dir: Path, runs: list[str], flt: Any, says: str) -> None:
    with pytest.raises(FilterError) as err:
        runyard.Api(runs_dir).runs("proj", flt)
    assert says in str(err.value)
    with InProcessClient(create_app(runs_dir, follow=False)) as client:
        answer = client.get("/api/projects/proj/runs", params={"filters": json.dumps(flt)})
        assert answer.status_code == 400 and says in answer.json()["error"]
