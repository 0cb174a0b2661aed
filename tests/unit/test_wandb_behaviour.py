"""Where runyard used to differ from wandb's documented behaviour (docs/wandb-compat.md,
"Behaviour"): each case against the live run and the read API."""

from __future__ import annotations

import copy
import math

import pytest

import runyard


def _summary(run: runyard.sdk.run.Run) -> dict[str, object]:
    run.finish()
    return dict(runyard.Api().run(run.path).summary)


def test_a_logged_value_replaces_a_manual_summary_value() -> None:
    run = runyard.init(project="b")
    run.log({"acc": 0.5})
    run.summary["acc"] = 0.99
    run.summary["best"] = 1.0
    assert run.summary["acc"] == 0.99
    run.log({"acc": 0.6})
    assert run.summary["acc"] == 0.6 and run.summary["best"] == 1.0
    run.summary["acc"] = 0.7  # a manual value after the last log stands
    assert _summary(run)["acc"] == 0.7


def test_define_metric_copy_none_and_nan() -> None:
    run = runyard.init(project="b")
    run.define_metric("*", summary="copy")
    run.define_metric("hidden_val", summary="none")
    run.define_metric("m", summary="min,max,mean")
    run.define_metric("only_nan", summary="min")
    for v in (2.0, math.nan, 4.0):
        run.log({"val": v * 2, "hidden_val": v, "m": v, "only_nan": math.nan})
    s = _summary(run)
    assert s["val"] == 8.0 and "hidden_val" not in s
    m = s["m"]
    assert isinstance(m, dict) and all(math.isnan(m[k]) for k in ("min", "max", "mean"))
    assert isinstance(s["only_nan"], dict) and math.isnan(s["only_nan"]["min"])


def test_define_metric_overwrite_false_merges_and_step_sync_false() -> None:
    run = runyard.init(project="b")
    run.define_metric("m", summary="min")
    run.define_metric("m", summary="max", overwrite=False)
    run.define_metric("g*", summary="min")
    run.define_metric("g*", summary="max", overwrite=True)
    run.define_metric("synced", step_metric="epoch")
    run.define_metric("free", step_metric="epoch", step_sync=False)
    first = run.define_metric("glob")
    assert run.define_metric("val", step_metric=first).step_metric == "glob"
    run.log({"m": 1, "g1": 1, "epoch": 3})
    run.log({"m": 5, "g1": 5, "synced": 0.1, "free": 0.2})
    run.finish()
    api_run = runyard.Api().run(run.path)
    assert api_run.summary["m"] == {"min": 1, "max": 5} and api_run.summary["g1"] == {"max": 5}
    rows = list(api_run.scan_history())
    assert rows[1]["epoch"] == 3  # filled in by step sync for "synced"


def test_step_sync_false_alone_fills_nothing() -> None:
    run = runyard.init(project="b")
    run.define_metric("free", step_metric="epoch", step_sync=False)
    run.log({"epoch": 3})
    run.log({"free": 0.2})
    run.finish()
    assert "epoch" not in list(runyard.Api().run(run.path).scan_history())[1]


def test_nested_and_escaped_dot_names_and_globs_over_nested_dicts() -> None:
    run = runyard.init(project="b")
    run.define_metric("this.that", summary="min,max")
    run.define_metric("test\\this\\.that", summary="min")
    for v in (3, 2, 4):
        run.log({"this": {"that": v, "other": v}, "test\\this.that": v})
    s = _summary(run)
    assert s["this"] == {"that": {"min": 2, "max": 4}, "other": 4}
    assert s["test\\this.that"] == {"min": 2}

    run = runyard.init(project="b")
    run.define_metric("*", summary="min,max")
    for v in (3, 2, 4):
        run.log({"this": {"that": v, "deeper": {"x": -v}}})
    assert _summary(run)["this"] == {"that": {"min": 2, "max": 4}, "deeper": {"x": {"min": -4, "max": -2}}}


def test_nested_copy_and_default_keep_the_last_dict() -> None:
    run = runyard.init(project="b")
    run.define_metric("this.that", summary="copy")
    for v in (3, 2, 4):
        run.log({"this": {"that": v}})
    assert _summary(run)["this"] == {"that": 4}


def test_table_rows_passed_as_columns_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="data="):
        runyard.Table([[1, 2], [3, 4]])
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match="dataframe="):
        runyard.Table(pd.DataFrame({"a": [1, 2]}))
    import numpy as np

    with pytest.raises(TypeError, match="data="):
        runyard.Table(np.zeros((2, 2)))
    assert runyard.Table(["a", "b"], [[1, 2]]).columns == ["a", "b"]  # columns first, as in wandb


def test_table_cast_primary_and_foreign_keys() -> None:
    users = runyard.Table(columns=["id", "name"], data=[["u1", "ann"], ["u2", "bob"]])
    users.set_pk("id")
    orders = runyard.Table(columns=["order", "user", "amount"], data=[[1, "u1", 3.5], [2, "u2", 4]])
    orders.set_fk("user", users, "id")
    orders.cast("amount", float)
    orders.cast("order", "number")
    with pytest.raises(TypeError, match="row 0, column 'user' holds 'u1'.*not number"):
        orders.cast("user", "number")
    with pytest.raises(TypeError, match="row 2, column 'user' is None, but the column is a foreign-key column"):
        orders.add_data(3, None, 1.0)  # key columns hold no None, as in wandb
    orders.add_data(3, "u1", 1.0)
    user = orders.get_column("user")[2]
    assert user == "u1" and user._table is users and user._col_name == "id"  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="row 0, column 'name' is None; pass optional=True"):
        runyard.Table(columns=["name"], data=[[None]]).cast("name", str)
    bad = runyard.Table(columns=["id"], data=[["x"], ["x"]])
    with pytest.raises(ValueError, match="repeated values"):
        bad.set_pk("id")
    with pytest.raises(ValueError, match=r"\['u9'\] in column 'user'"):
        runyard.Table(columns=["user"], data=[["u9"]]).set_fk("user", users, "id")
    assert orders.get_column("amount") == [3.5, 4, 1.0] and list(orders.iterrows())[0] == (0, [1, "u1", 3.5])


def test_table_index_and_key_values_join_tables() -> None:
    users = runyard.Table(columns=["id", "name"], data=[["u1", "ann"], ["u2", "bob"]])
    users.set_pk("id")
    assert [k._table is users for k in users.get_column("id")] == [True, True]  # type: ignore[attr-defined]
    # a column receiving an index or a primary-key value becomes a key column, earlier values too
    by_row = runyard.Table(columns=["row", "note"], data=[[5, "x"]])
    by_row.add_data(users.get_index()[1], "y")
    assert [r[0] for r in by_row.data] == [5, 1] and all(r[0]._table is users for r in by_row.data)
    with pytest.raises(TypeError, match="table-index column"):
        by_row.add_data(None, "z")
    orders = runyard.Table(columns=["user"], data=[["u2"]])
    orders.add_column("buyer", users.get_column("id")[:1])
    assert orders.data[0][1]._table is users and orders.data[0][1]._col_name == "id"
    assert [ndx for ndx, _ in orders.iterrows()] == [0] and next(orders.iterrows())[0]._table is orders
    # logged and read back, keys are the plain values
    run = runyard.init(project="keys")
    run.log({"orders": orders, "by_row": by_row})
    run.finish()
    summary = runyard.Api().run(run.path).summary
    assert summary["orders"].data == [["u2", "u1"]] and summary["by_row"].data == [[5, "x"], [1, "y"]]
    assert copy.deepcopy(orders).data == [["u2", "u1"]]


def test_image_histogram_audio_chart_helpers() -> None:
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    pixels = np.zeros((4, 6, 3), dtype=np.uint8)
    pixels[..., 0] = 200
    pil = runyard.Image(pixels).image
    assert pil.size == (6, 4) and pil.getpixel((0, 0)) == (200, 0, 0)
    hist = runyard.Histogram([1, 2, 2, 3], num_bins=3)
    assert hist.histogram == [1.0, 2.0, 1.0] and hist.bins == pytest.approx([1.0, 5 / 3, 7 / 3, 3.0])
    clips = [runyard.Audio(np.zeros(800), sample_rate=8000, caption="a"), runyard.Audio(np.zeros(400), sample_rate=4000)]
    assert runyard.Audio.durations(clips) == [0.1, 0.1] and runyard.Audio.sample_rates(clips) == [8000, 4000]
    assert runyard.Audio.captions(clips) == ["a", ""] and runyard.Audio.path_is_reference("s3://b/k.wav")
    chart = runyard.plot.line(runyard.Table(columns=["x", "y"], data=[[0, 1]]), "x", "y", title="t")
    assert chart.spec.spec_name == "runyard/line" and chart.spec.fields == {"x": "x", "y": "y"}


def test_pr_curve_interp_size() -> None:
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    probas = np.stack([1 - y * 0.6 - rng.random(200) * 0.4, y * 0.6 + rng.random(200) * 0.4], axis=1)
    chart = runyard.plot.pr_curve(y, probas, interp_size=11)
    rows = chart.table.data
    # wandb's layout: class, precision, recall, recall from 1 down to 0
    assert len(rows) == 22 and [r[2] for r in rows[:11]] == pytest.approx([1 - i / 10 for i in range(11)])
    precision = [r[1] for r in rows[:11]]
    assert precision == sorted(precision)  # interpolated precision never rises with recall
    with pytest.raises(ValueError, match="interp_size"):
        runyard.plot.pr_curve(y, probas, interp_size=1)


def test_torch_tensor_is_read_as_channels_first_and_jpeg_drops_alpha() -> None:
    torch = pytest.importorskip("torch")
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    t = torch.zeros((3, 4, 3))  # C=3, H=4, W=3: as a numpy array this would read as H×W×C
    t[0] = 1.0
    img = runyard.Image(t)
    assert (img.width, img.height, img.mode) == (3, 4, "RGB")
    with pytest.warns(runyard.RunyardWarning, match="JPEG format does not support transparency. Ignoring alpha channel"):
        jpeg = runyard.Image(np.zeros((4, 4, 4), dtype=np.uint8), file_type="jpeg")
    run = runyard.init(project="img")
    run.log({"jpeg": jpeg, "masked": runyard.Image(np.zeros((8, 8, 3), dtype=np.uint8), masks={
        "pred": {"mask_data": np.ones((4, 4), dtype=np.uint8), "class_labels": {1: "thing"}}})})
    run.finish()
    row = next(iter(runyard.Api().run(run.path).scan_history()))
    assert row["jpeg"].format == "jpeg" and row["jpeg"].to_pil().mode == "RGB"
    assert row["masked"].masks["pred"].to_numpy().shape == (4, 4)


def test_non_string_keys_raise_type_error_and_longdouble_is_a_float() -> None:
    np = pytest.importorskip("numpy")
    run = runyard.init(project="b")
    with pytest.raises(TypeError, match="keys must be strings"):
        run.log({1: 2.0, "ok": 1})
    with pytest.raises(TypeError):
        run.log({("tup", "idx"): 1000})
    run.log({"ld": np.longdouble(1.5), "x": 1})
    run.finish()
    rows = list(runyard.Api().run(run.path).scan_history())
    assert len(rows) == 1 and rows[0]["ld"] == 1.5 and type(rows[0]["ld"]) is float  # no empty row
