"""docs/semantics.md: config, define_metric and summary (live and through the read API)."""

from __future__ import annotations

import argparse
import dataclasses
import math

import numpy as np
import pytest

import runyard
from runyard.errors import UsageError


def test_config_from_dict_namespace_flags_and_updates() -> None:
    ns = argparse.Namespace(lr=0.1, epochs=3)
    run = runyard.init(project="p", config=ns)
    assert run.config.lr == 0.1 and run.config["epochs"] == 3
    run.config.batch_size = 32
    run.config.update({"optimizer": {"name": "adam", "beta": 0.9}})
    runyard.config.update(dropout=0.5)
    assert runyard.config is run.config
    run.finish()
    cfg = runyard.Api().run(run.path).config
    assert cfg == {"lr": 0.1, "epochs": 3, "batch_size": 32, "optimizer": {"name": "adam", "beta": 0.9}, "dropout": 0.5}


def test_config_from_flags_like_and_dataclass() -> None:
    class Flags:
        def flag_values_dict(self) -> dict[str, object]:
            return {"num_steps": 10, "batch_size": 4}

    @dataclasses.dataclass
    class Cfg:
        width: int = 8

    run = runyard.init(project="p", config=Flags())
    assert run.config.num_steps == 10
    run.config.update(Cfg())
    assert run.config.width == 8
    with pytest.raises(AttributeError, match="no key 'missing'"):
        _ = run.config.missing
    with pytest.raises(TypeError, match="expected a dict"):
        run.config.update(42)
    run.finish()


def test_config_include_exclude_keys() -> None:
    run = runyard.init(project="p", config={"a": 1, "b": 2, "c": 3}, config_exclude_keys=["b"])
    assert dict(run.config.items()) == {"a": 1, "c": 3}
    run.finish()


def test_summary_is_last_value_and_manual_values_stick() -> None:
    run = runyard.init(project="p")
    for acc in (0.5, 0.9, 0.7):
        run.log({"acc": acc, "loss": 1 - acc})
    run.summary["best_accuracy"] = 0.9
    run.summary.update({"note": "ok"})
    assert run.summary["acc"] == 0.7 and run.summary["best_accuracy"] == 0.9
    run.summary["loss"] = 0.0  # manual value overrides the logged one ...
    assert run.summary["loss"] == 0.0
    run.log({"loss": 0.5})
    assert run.summary["loss"] == 0.5  # ... until the key is logged again (wandb's documented rule)
    run.summary["loss"] = 0.0
    del run.summary["loss"]
    assert "loss" not in run.summary
    run.log({"loss": 0.25})
    assert run.summary["loss"] == 0.25
    run.finish()
    s = runyard.Api().run(run.path).summary
    assert s["acc"] == 0.7 and s["best_accuracy"] == 0.9 and s["note"] == "ok" and s["loss"] == 0.25
    assert s["_step"] == 4


def test_summary_arrays_are_stored_whole_with_statistics() -> None:
    run = runyard.init(project="p")
    arr = np.arange(100, dtype=np.float64)
    run.summary["t"] = arr
    arr[:] = -1  # the array was copied
    run.finish()
    api_run = runyard.Api().run(run.path)
    ref = api_run.summary["t"]
    ref = ref if isinstance(ref, dict) else ref.ref
    assert ref["_type"] == "array" and ref["shape"] == [100] and ref["dtype"] == "float64"
    assert ref["min"] == 0 and ref["max"] == 99 and ref["mean"] == 49.5
    assert math.isclose(ref["var"], np.var(np.arange(100)))
    assert ref["percentiles"]["95"] == pytest.approx(np.percentile(np.arange(100), 95))
    stored = np.load(api_run.file(ref["path"]).path)
    assert np.array_equal(stored, np.arange(100))


def test_define_metric_summary_aggregates_and_globs() -> None:
    run = runyard.init(project="p")
    run.define_metric("acc", summary="max")
    run.define_metric("val/*", summary="min,mean,last")
    run.define_metric("loss", summary="best", goal="minimize")
    run.define_metric("hidden", summary="none")
    for acc, v, loss in ((0.5, 3.0, 2.0), (0.93, 1.0, 1.0), (0.7, 2.0, 1.5)):
        run.log({"acc": acc, "val/loss": v, "loss": loss, "hidden": 1})
    assert run.summary["acc"] == {"max": 0.93}
    run.finish()
    s = runyard.Api().run(run.path).summary
    assert s["acc"] == {"max": 0.93}
    assert s["val/loss"] == {"min": 1.0, "mean": 2.0, "last": 2.0}
    assert s["loss"] == {"best": 1.0}
    assert "hidden" not in s


def test_define_metric_step_sync() -> None:
    run = runyard.init(project="p")
    runyard.define_metric("ev/*", step_metric="ev_step")
    runyard.log({"ev/acc": 0.5, "ev_step": 3})
    runyard.log({"ev/acc": 0.6})
    runyard.log({"other": 1})
    run.finish()
    rows = runyard.Api().run(run.path).history(pandas=False)
    assert rows[1]["ev_step"] == 3 and rows[1]["ev/acc"] == 0.6
    assert "ev_step" not in rows[2]


def test_define_metric_bad_arguments() -> None:
    run = runyard.init(project="p")
    with pytest.raises(ValueError, match="unknown summary"):
        run.define_metric("a", summary="median")
    with pytest.raises(ValueError, match="goal"):
        run.define_metric("a", summary="best")
    with pytest.raises(ValueError, match="trailing"):
        run.define_metric("a*b")
    run.finish()


def test_api_summary_edit_persists_and_running_runs_refuse() -> None:
    run = runyard.init(project="p")
    run.log({"acc": 0.5})
    api_run = runyard.Api().run(run.path)
    api_run.summary["x"] = 1
    with pytest.raises(UsageError, match="still running"):
        api_run.summary.update()
    run.finish()
    api_run = runyard.Api().run(run.path)
    api_run.summary["tensor"] = np.random.default_rng(1).random(1000)
    api_run.summary["best"] = 0.99
    api_run.summary.update()
    again = runyard.Api().run(run.path)
    assert again.summary["best"] == 0.99 and again.summary["acc"] == 0.5
    t = again.summary["tensor"]
    t = t if isinstance(t, dict) else t.ref
    assert t["_type"] == "array" and t["shape"] == [1000] and 0 <= t["min"] < t["max"] <= 1
    del again.summary["best"]
    again.summary.update()
    assert "best" not in runyard.Api().run(run.path).summary


def test_api_run_update_persists_name_tags_config() -> None:
    run = runyard.init(project="p", tags=["a"])
    run.finish()
    api_run = runyard.Api().run(run.path)
    api_run.name = "renamed"
    api_run.tags.append("b")
    api_run.config["lr"] = 0.3
    api_run.update()
    again = runyard.Api().run(run.path)
    assert again.name == "renamed" and again.tags == ["a", "b"] and again.config["lr"] == 0.3


def test_run_identity_and_live_renames() -> None:
    run = runyard.init(project="p", tags=["x"], group="g", job_type="train", notes="hello")
    assert len(run.id) == 8 and run.id.isalnum() and run.id.islower() or run.id.isdigit()
    assert run.path == f"local/p/{run.id}"
    assert run.name.count("-") == 2  # adjective-noun-number
    run.name = "mine"
    run.tags = ["y"]
    assert run.name == "mine" and run.tags == ("y",)
    run.finish()
    r = runyard.Api().run(run.path)
    assert (r.name, r.tags, r.group, r.job_type, r.notes) == ("mine", ["y"], "g", "train", "hello")
    meta = r.metadata
    for key in ("host", "os", "python", "command", "cwd", "pid"):
        assert meta[key]
