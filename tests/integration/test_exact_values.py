"""Values survive every hop exactly: log → index → HTTP → ``Api(base_url)`` → summary edit → log,
in the one tagged encoding of ``runyard.jsonvalue`` (docs/http-api.md, "Values JSON cannot hold")."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import runyard
from exact import same
from runyard.log.reader import LOG_NAME, RunFolder
from runyard.log.records import Kind

pytest.importorskip("uvicorn", reason="the server extra is not installed")

from runyard.server import create_app  # noqa: E402
from runyard.server.testing import serve_in_thread  # noqa: E402


@pytest.fixture
def server(runs_dir: Path) -> Iterator[str]:
    runs_dir.mkdir(parents=True, exist_ok=True)
    with serve_in_thread(create_app(runs_dir, interval=0.02)) as base:
        yield base


def _remote_run(base: str, run_id: str) -> Any:
    from runyard.api.http import ServerError

    api = runyard.Api(base_url=base)
    deadline = time.monotonic() + 20
    while True:
        try:
            run = api.run(f"p/{run_id}")
            if run.state == "finished":
                return run
        except ServerError:
            pass  # not ingested yet
        assert time.monotonic() < deadline, f"run {run_id} was not indexed within 20 s"
        time.sleep(0.02)


def _summary_edits(runs_dir: Path, run_id: str) -> list[dict[str, Any]]:
    return [r[1] for _, r in RunFolder(runs_dir / "p" / run_id).records() if r[0] == Kind.SUMMARY]


# Every value the SDK accepts and the run log holds exactly (integers past 64 bits are stored as
# floats by log(), and refused by summary edits).
scalars = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 0.0, 2**53 + 1, 2**64 - 1, -(2**63)])
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.sampled_from(["NaN", "Infinity", "-Infinity", "nan", "1e999", "-0.0", "$float"])
    | st.text(max_size=6)
    | st.booleans()
    | st.none()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(alphabet="abc$", min_size=1, max_size=4)
                      | st.sampled_from(["$float", "$int", "$bytes", "$object"]), inner, max_size=3),
    max_leaves=8,
)


def test_values_survive_log_index_http_api_edit_log(runs_dir: Path, server: str) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(values)
    def check(value: Any) -> None:
        run = runyard.init(project="p", config={"c": value})
        run.log({"v": value})
        run.summary["s"] = value
        run.finish()
        remote = _remote_run(server, run.id)
        assert same(remote.config["c"], value)
        assert same(remote.summary["s"], value)
        rows = list(remote.scan_history())
        assert len(rows) == 1 and same(rows[0]["v"], value)
        remote.summary["e"] = value
        remote.summary.update()
        assert same(remote.summary["e"], value)  # as the server answered after ingesting the edit
        assert same(_summary_edits(runs_dir, run.id)[-1]["e"], value)  # what the log holds
        local = runyard.Api(runs_dir).run(f"p/{run.id}")
        assert same(local.summary["e"], value) and same(local.summary["s"], value)

    check()


def test_a_string_nan_stays_a_string_and_a_float_nan_a_float(runs_dir: Path, server: str) -> None:
    run = runyard.init(project="p")
    run.log({"text": "NaN", "num": math.nan, "inf": "Infinity"})
    run.finish()
    remote = _remote_run(server, run.id)
    assert remote.summary["text"] == "NaN" and remote.summary["inf"] == "Infinity"
    assert isinstance(remote.summary["num"], float) and math.isnan(remote.summary["num"])
    remote.summary["edited"] = math.nan
    remote.summary["edited_text"] = "NaN"
    remote.summary.update()
    edit = _summary_edits(runs_dir, run.id)[-1]
    assert isinstance(edit["edited"], float) and math.isnan(edit["edited"])
    assert edit["edited_text"] == "NaN"


def _patch(base: str, run_id: str, body: bytes) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(f"{base}/api/runs/p/{run_id}/summary", data=body, method="PATCH",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.parametrize(("body", "says"), [
    (b'{"update": {"big": {"$int": "36893488147419103232"}}}', "outside the 64 bits"),
    (b'{"update": {"big": 36893488147419103232}}', "outside the 64 bits"),
    (b'{"update": {"x": "a\\ud800b"}}', "lone surrogate"),
    (b'{"update": {"x\\udfff": 1}}', "lone surrogate"),
    (b'{"update": {"x": {"$float": "nan"}}}', '"NaN", "Infinity" or "-Infinity"'),
    (b'{"update": {"x": {"$bytes": "%%%"}}}', "base64"),
])
def test_an_edit_the_log_cannot_hold_is_refused_and_nothing_is_appended(
        runs_dir: Path, server: str, body: bytes, says: str) -> None:
    run = runyard.init(project="p")
    run.log({"a": 1})
    run.finish()
    _remote_run(server, run.id)
    log = runs_dir / "p" / run.id / LOG_NAME
    before = log.read_bytes()
    status, answer = _patch(server, run.id, body)
    assert status == 400 and answer["ok"] is False and says in answer["error"], answer
    assert "nothing was written" in answer["error"]
    assert log.read_bytes() == before


def test_the_local_api_refuses_the_same_edits(runs_dir: Path) -> None:
    run = runyard.init(project="p")
    run.finish()
    log = runs_dir / "p" / run.id / LOG_NAME
    before = log.read_bytes()
    local = runyard.Api(runs_dir).run(f"p/{run.id}")
    local.summary["x"] = "a\ud800"
    with pytest.raises(runyard.UsageError, match="lone surrogate.*|nothing was written"):
        local.summary.update()
    assert log.read_bytes() == before
