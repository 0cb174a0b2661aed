"""docs/semantics.md, "Steps and commits": wandb's step and commit rules, row for row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import runyard
from runyard.errors import StepError, UsageError


def rows_of(run: object) -> list[dict[str, object]]:
    api = runyard.Api()
    rows = api.run(run.path).history(pandas=False, samples=10_000)  # type: ignore[attr-defined]
    return [{k: v for k, v in r.items() if not k.startswith("_") or k == "_step"} for r in rows]


def test_reference_trace_row_for_row() -> None:
    run = runyard.init(project="p")
    runyard.log({"a": 1})
    runyard.log({"b": 2}, commit=False)
    runyard.log({"c": 3})
    runyard.log({"d": 4}, step=5)
    runyard.log({"e": 5}, step=5)
    with pytest.warns(runyard.RunyardWarning, match=r"step 3 is lower than the current step 5; keys \['f'\]"):
        runyard.log({"f": 6}, step=3)
    runyard.log({"g": 7}, step=6)
    runyard.log({"h": 8})
    runyard.log({"x": 9}, step=10, commit=True)
    runyard.log({"y": 10})
    runyard.finish()
    assert rows_of(run) == [
        {"_step": 0, "a": 1},
        {"_step": 1, "b": 2, "c": 3},
        {"_step": 5, "d": 4, "e": 5},
        {"_step": 6, "g": 7, "h": 8},
        {"_step": 10, "x": 9},
        {"_step": 11, "y": 10},
    ]


def test_every_row_has_step_timestamp_and_runtime() -> None:
    run = runyard.init(project="p")
    for i in range(3):
        run.log({"loss": 1.0 / (i + 1)})
    run.finish()
    rows = runyard.Api().run(run.path).history(pandas=False)
    assert [r["_step"] for r in rows] == [0, 1, 2]
    assert all(isinstance(r["_timestamp"], float) and r["_runtime"] >= 0 for r in rows)
    assert rows[0]["_timestamp"] <= rows[1]["_timestamp"] <= rows[2]["_timestamp"]


def test_finish_commits_the_pending_row() -> None:
    run = runyard.init(project="p")
    run.log({"a": 1}, step=3)
    run.log({"b": 2}, commit=False)
    run.finish()
    assert rows_of(run) == [{"_step": 3, "a": 1, "b": 2}]


def test_strict_mode_raises_on_a_lower_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNYARD_STRICT_STEPS", "1")
    run = runyard.init(project="p")
    run.log({"a": 1}, step=4)
    with pytest.raises(StepError, match="step 2 is lower than the current step 4"):
        run.log({"a": 2}, step=2)
    run.log({"a": 3}, step=5)
    run.finish()
    assert [r["_step"] for r in rows_of(run)] == [4, 5]


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True, None.__class__])
def test_bad_steps_are_clear_errors(bad: object) -> None:
    run = runyard.init(project="p")
    with pytest.raises(StepError, match="step must be a non-negative integer"):
        run.log({"a": 1}, step=bad)  # type: ignore[arg-type]
    run.log({"a": 2})
    run.finish()
    assert rows_of(run) == [{"_step": 0, "a": 2}]


def test_numpy_integer_steps_are_accepted() -> None:
    run = runyard.init(project="p")
    run.log({"a": 1}, step=np.int64(7), commit=True)  # type: ignore[arg-type]
    run.finish()
    assert rows_of(run) == [{"_step": 7, "a": 1}]


def test_non_dict_is_a_clear_error() -> None:
    run = runyard.init(project="p")
    with pytest.raises(TypeError, match="log\\(\\) takes a dict"):
        run.log([1, 2, 3])  # type: ignore[arg-type]
    run.finish()


def test_log_before_init_and_after_finish_are_errors() -> None:
    with pytest.raises(UsageError, match="before runyard.init"):
        runyard.log({"a": 1})
    with pytest.raises(UsageError, match=r"You must call runyard\.init\(\) before runyard\.config\.lr"):
        runyard.config.lr = 3
    with pytest.raises(UsageError, match=r"before runyard\.summary\['acc'\]"):
        runyard.summary["acc"] = 1
    run = runyard.init(project="p")
    run.finish()
    with pytest.raises(UsageError, match="after finish"):
        run.log({"a": 1})
    with pytest.raises(UsageError, match=f"after run {run.path} finished"):
        runyard.log({"a": 1})


def test_history_row_and_add(runs_dir: Path) -> None:
    run = runyard.init(project="p")
    run.history.row["a"] = 1
    run.history.row.update({"b": 2})
    run.history.add({"c": 3})
    run.history.add({"d": 4})
    run.finish()
    assert rows_of(run) == [{"_step": 0, "a": 1, "b": 2, "c": 3}, {"_step": 1, "d": 4}]


def test_log_from_other_threads_uses_the_current_run() -> None:
    import threading

    run = runyard.init(project="p")

    def work(tid: int) -> None:
        for i in range(200):
            runyard.log({f"t{tid}": i})

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.finish()
    rows = rows_of(run)
    assert [r["_step"] for r in rows] == list(range(800))
    for t in range(4):
        assert [r[f"t{t}"] for r in rows if f"t{t}" in r] == list(range(200))


def test_history_row_values_are_checked_at_commit() -> None:
    run = runyard.init(project="p")
    run.history.row["arr"] = np.arange(3)
    run.history.row["bad"] = object()
    with pytest.warns(runyard.RunyardWarning, match="key 'bad'.*history.row"):
        run.history.add({"ok": 1})
    run.finish()
    assert rows_of(run) == [{"_step": 0, "arr": [0, 1, 2], "ok": 1}]
