"""docs/semantics.md, "Values log() accepts": what log() accepts, how it stores it, and the errors for what it does not."""

from __future__ import annotations

import enum
import math

import numpy as np
import pytest

import runyard
from runyard.errors import LogValueError


def logged(run: object) -> list[dict[str, object]]:
    return runyard.Api().run(run.path).history(pandas=False, samples=10_000)  # type: ignore[attr-defined]


def test_scalars_strings_nested_and_non_finite_values_round_trip() -> None:
    run = runyard.init(project="p")
    run.log({
        "f": 0.5, "i": 3, "b": True, "s": "text", "none": None,
        "nan": math.nan, "inf": math.inf, "ninf": -math.inf,
        "np_f32": np.float32(0.25), "np_i": np.int64(9), "np_b": np.bool_(False),
        "nested": {"a": 1, "b": {"c": [1, 2.5, "x"]}}, "tup": (1, 2),
    })
    run.finish()
    row = logged(run)[0]
    assert row["f"] == 0.5 and row["i"] == 3 and row["b"] is True and row["s"] == "text"
    assert row["none"] is None
    assert math.isnan(row["nan"]) and row["inf"] == math.inf and row["ninf"] == -math.inf  # type: ignore[arg-type]
    assert row["np_f32"] == 0.25 and row["np_i"] == 9 and row["np_b"] is False
    assert row["nested"] == {"a": 1, "b": {"c": [1, 2.5, "x"]}}
    assert row["tup"] == [1, 2]


def test_small_arrays_are_lists_and_large_ones_histograms() -> None:
    run = runyard.init(project="p")
    small = np.arange(32, dtype=np.float32)
    large = np.random.default_rng(0).normal(size=1000)
    run.log({"small": small, "large": large})
    large[:] = 0  # the caller may reuse its array at once
    run.finish()
    row = logged(run)[0]
    assert row["small"] == list(range(32))
    hist = row["large"]
    ref = hist if isinstance(hist, dict) else hist.ref  # type: ignore[attr-defined]
    assert ref["_type"] == "histogram"
    values, bins = ref["values"], ref["bins"]
    assert len(values) == 32 and len(bins) == 33 and sum(values) == 1000
    assert min(bins) < -2 and max(bins) > 2  # binned from the data before it was zeroed


def test_enum_and_str_subclasses_are_plain_values() -> None:
    class Color(enum.IntEnum):
        RED = 1

    run = runyard.init(project="p")
    run.log({"c": Color.RED})
    run.finish()
    assert logged(run)[0]["c"] == 1


def test_unsupported_value_names_key_and_type_and_keeps_the_rest() -> None:
    class Thing:
        pass

    run = runyard.init(project="p")
    with pytest.raises(LogValueError, match=r"key 'bad'.*test_sdk_values.*Thing.*Accepted"):
        run.log({"good": 1.0, "bad": Thing(), "also_good": "yes"})
    run.log({"next": 2})
    run.finish()
    rows = logged(run)
    assert rows[0]["good"] == 1.0 and rows[0]["also_good"] == "yes" and "bad" not in rows[0]
    assert rows[1]["next"] == 2


def test_nested_unsupported_value_names_the_nested_key() -> None:
    run = runyard.init(project="p")
    with pytest.raises(LogValueError, match=r"key 'outer/inner'"):
        run.log({"outer": {"inner": object()}})
    run.finish()


def test_non_string_keys_are_refused_at_the_call_and_log_nothing() -> None:
    run = runyard.init(project="p")
    with pytest.raises(TypeError, match="key 1 is a int; keys must be strings"):
        run.log({1: 2.0, "ok": 1.0})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"key \('a',\) is a tuple"):
        run.log({("a",): 2.0})  # type: ignore[dict-item]
    run.log({"next": 1.0})
    run.finish()
    rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in logged(run)]
    assert rows == [{"next": 1.0}]  # no empty row, no partial row


def test_mixed_kinds_under_one_key_warn_once(capfd: pytest.CaptureFixture[str]) -> None:
    run = runyard.init(project="p")
    run.log({"k": 1.0})
    run.log({"k": "one"})
    run.log({"k": "two"})
    run.log({"k": 3.0})
    run.finish()
    err = capfd.readouterr().err
    assert err.count("key 'k' has been logged as number, string") == 1
    assert runyard.Api().run(run.path).key_kinds["k"] == ["number", "string"]


def test_metric_names_are_case_sensitive() -> None:
    run = runyard.init(project="p")
    run.log({"Loss": 1.0, "loss": 2.0})
    run.finish()
    row = logged(run)[0]
    assert row["Loss"] == 1.0 and row["loss"] == 2.0


def test_torch_like_tensors_are_converted() -> None:
    class FakeTensor:  # what matters: an __array__ object from an unknown library
        __module__ = "torch"

        def __init__(self, a: np.ndarray) -> None:
            self.a = a

        def detach(self) -> FakeTensor:
            return self

        def cpu(self) -> FakeTensor:
            return self

        def numpy(self) -> np.ndarray:
            return self.a

    run = runyard.init(project="p")
    run.log({"t": FakeTensor(np.array([1.0, 2.0]))})
    run.finish()
    assert logged(run)[0]["t"] == [1.0, 2.0]


def test_disabled_mode_accepts_everything_and_writes_nothing(runs_dir: object) -> None:
    run = runyard.init(project="p", mode="disabled", config={"a": 1})
    run.log({"x": 1})
    run.config.b = 2
    run.summary["y"] = 3
    assert run.config.a == 1 and run.config.b == 2
    run.finish()
    assert not runyard.Api().projects()


def test_online_mode_without_a_server_says_so_and_runs_offline(capfd: pytest.CaptureFixture[str]) -> None:
    run = runyard.init(project="p", mode="online")
    run.log({"a": 1.0})
    run.finish()
    err = capfd.readouterr().err
    assert "online mode needs a server: set RUNYARD_BASE_URL" in err and "runyard sync" in err
    assert runyard.Api(root=run.root).run(f"p/{run.id}").summary["a"] == 1.0


def test_bad_mode_and_project_names_are_clear() -> None:
    with pytest.raises(ValueError, match="mode must be"):
        runyard.init(project="p", mode="sideways")
    with pytest.raises(ValueError, match="project must be"):
        runyard.init(project="a/b")
