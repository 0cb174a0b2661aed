"""Every value log() accepts is written or refused at the call, naming the key; records, images
and steps are bounded at the point of entry (docs/run-log.md, "Limits")."""

from __future__ import annotations

import datetime
import warnings
from pathlib import Path

import numpy as np
import pytest

import runyard
from runyard.errors import LogValueError, StepError
from runyard.log.append import RecordTooLargeError, append_records
from runyard.log.reader import LOG_NAME


def rows_of(run: runyard.Run) -> list[dict[str, object]]:
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in runyard.Api().run(run.path).scan_history()]


def test_numpy_datetimes_long_doubles_and_complex_are_written_or_refused_at_the_call() -> None:
    run = runyard.init(project="p")
    run.log({"when": np.datetime64("2024-05-01T12:30:00.250"), "x": np.longdouble(1.25),
             "h": np.float16(0.5), "d": datetime.date(2024, 5, 1), "nat": np.datetime64("NaT"),
             "arr": np.array([1.5, 2.5], dtype=np.longdouble)})
    with pytest.raises(LogValueError, match=r"key 'z': complex numbers are not supported.*real and imaginary"):
        run.log({"z": np.complex128(1 + 2j), "ok": 1.0})
    with pytest.raises(LogValueError, match=r"key 'c'"):
        run.log({"c": 3j})
    with pytest.raises(LogValueError, match=r"key 'ca': complex arrays"):
        run.log({"ca": np.ones(3, np.complex64)})
    run.finish()
    rows = rows_of(run)
    assert rows[0] == {"when": "2024-05-01T12:30:00.250", "x": 1.25, "h": 0.5, "d": "2024-05-01", "nat": None,
                       "arr": [1.5, 2.5]}
    assert rows[1] == {"ok": 1.0}  # the call's other keys were logged (and the error said so)
    assert len(rows) == 2


def test_a_value_over_the_record_limit_is_refused_naming_the_key_and_size() -> None:
    run = runyard.init(project="p", settings={"max_record_bytes": 100_000})
    run.log({"a": 1.0})
    with pytest.raises(LogValueError, match=r"key 'text' holds 200,00\d bytes.*100,000 bytes.*max_record_bytes"):
        run.log({"text": "x" * 200_000, "b": 2.0})
    with pytest.raises(LogValueError, match=r"key 'floats' holds .* bytes"):
        run.log({"floats": [0.5] * 50_000})
    with pytest.raises(LogValueError, match=r"key 'nested'"):
        run.log({"nested": {"deep": ["y" * 1000] * 200}})
    run.log({"a": 2.0})
    run.finish()
    assert rows_of(run) == [{"a": 1.0}, {"a": 2.0}]


def test_the_record_limit_cannot_exceed_what_readers_accept() -> None:
    with pytest.raises(ValueError, match="max_record_bytes must be between 1 and 268435456"):
        runyard.init(project="p", settings={"max_record_bytes": 2**30})


def test_a_row_over_the_limit_in_total_is_left_out_by_the_writer_naming_step_and_keys(
        capfd: pytest.CaptureFixture[str]) -> None:
    run = runyard.init(project="p", settings={"max_record_bytes": 50_000})
    run.log({"s1": "a" * 30_000, "s2": "b" * 30_000})  # each fits, the row does not
    run.log({"ok": 1.0})
    run.finish()
    err = capfd.readouterr().err
    assert "could not write step 0 (keys ['s1', 's2'])" in err and "max_record_bytes" in err
    assert "1 rows could not be encoded and were left out" in err
    assert rows_of(run) == [{"ok": 1.0}]


def test_steps_past_int64_are_refused() -> None:
    run = runyard.init(project="p")
    with pytest.raises(StepError, match=r"below 2\*\*63"):
        run.log({"a": 1}, step=2**63)
    with pytest.raises(StepError, match=r"below 2\*\*63"):
        run.log({"a": 1}, step=np.uint64(2**64 - 1))
    run.log({"a": 1}, step=2**63 - 1)
    run.finish()
    assert [r["_step"] for r in runyard.Api().run(run.path).scan_history()] == [2**63 - 1]


def test_image_size_limit_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from runyard.types import Image

    monkeypatch.setenv("RUNYARD_MAX_IMAGE_PIXELS", "10000")
    with pytest.raises(ValueError, match=r"200×100 = 20,000 pixels is over the limit of 10,000.*max_image_pixels"):
        Image(np.zeros((100, 200), np.uint8))
    with pytest.raises(ValueError, match="RUNYARD_MAX_IMAGE_PIXELS"):
        Image(_Shape((20000, 20000)))
    assert Image(np.zeros((50, 200), np.uint8)).width == 200
    run = runyard.init(project="p", settings={"max_image_pixels": 100})
    with pytest.raises(ValueError, match="limit of 100"):
        Image(np.zeros((20, 20), np.uint8))
    run.finish()


class _Shape:
    """An array-like that only has a shape: the limit is checked before any copy is made."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def __array__(self, dtype: object = None) -> np.ndarray:
        raise AssertionError("the pixels were copied before the size was checked")


def test_summary_edit_over_the_limit_appends_nothing(runs_dir: Path) -> None:
    run = runyard.init(project="p", id="edit0001")
    run.log({"a": 1.0})
    run.finish()
    log = runs_dir / "p" / "edit0001" / LOG_NAME
    before = log.read_bytes()
    with pytest.raises(RecordTooLargeError, match=r"'big' 2,000,0\d\d bytes.*max_record_bytes"):
        append_records(log, [[4, {"big": "x" * 2_000_000, "small": 1}, []]], max_record=1_000_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        api_run = runyard.Api().run("p/edit0001")
        api_run.summary["big"] = "y" * 2_000_000
        with pytest.raises(RecordTooLargeError):
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("RUNYARD_MAX_RECORD_BYTES", "1000000")
                api_run.summary.update()
    assert log.read_bytes() == before
