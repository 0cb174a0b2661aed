"""Custom charts (docs/media-refs.md, custom-chart): tables computed with numpy, checked against hand-computed values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from runyard import plot
from runyard.plot import CustomChart, plot_table
from runyard.plot.curves import pr_points, roc_points
from runyard.plot.presets import (
    ALIASES,
    BUILTIN,
    builtin_spec,
    fill_spec,
    list_presets,
    load_preset,
    save_preset,
)
from runyard.types import MediaStore, Table


def _ref(tmp_path: Path, chart: CustomChart) -> tuple[dict[str, Any], dict[str, Any]]:
    ref = chart.to_ref(MediaStore(tmp_path))
    table_doc = json.loads((tmp_path / ref["table"]["path"]).read_bytes())
    return ref, table_doc


def _rows_by_class(doc: dict[str, Any]) -> dict[Any, list[list[float]]]:
    out: dict[Any, list[list[float]]] = {}
    for cls, a, b in doc["data"]:
        out.setdefault(cls, []).append([a, b])
    return out


# -- the simple charts (reference examples) -----------------------------------------------------------


def test_reference_line_example(tmp_path: Path) -> None:
    x_values, y_values = [1, 2, 3], [0.5, 0.25, 0.125]
    data = [[x, y] for (x, y) in zip(x_values, y_values, strict=True)]
    table = Table(data=data, columns=["x", "y"])
    chart = plot.line(table, "x", "y", title="Custom Y vs X Line Plot")
    ref, doc = _ref(tmp_path, chart)
    assert ref["_type"] == "custom-chart" and ref["preset"] == "runyard/line"
    assert ref["fields"] == {"x": "x", "y": "y"}
    assert ref["string_fields"] == {"title": "Custom Y vs X Line Plot"}
    assert ref["title"] == "Custom Y vs X Line Plot"
    assert ref["table"]["_type"] == "table-file" and ref["table"]["nrows"] == 3
    assert doc == {"columns": ["x", "y"], "data": data}


def test_reference_scatter_bar_histogram_examples(tmp_path: Path) -> None:
    table = Table(data=[[0.1, 0.9], [0.4, 0.6]], columns=["class_x", "class_y"])
    ref, _ = _ref(tmp_path, plot.scatter(table, "class_x", "class_y"))
    assert ref["preset"] == "runyard/scatter" and "title" not in ref

    bars = Table(data=[["cat", 3], ["dog", 5]], columns=["label", "value"])
    ref, doc = _ref(tmp_path, plot.bar(bars, "label", "value", title="Custom Bar Chart"))
    assert ref["preset"] == "runyard/bar" and ref["fields"] == {"label": "label", "value": "value"}
    assert doc["data"] == [["cat", 3], ["dog", 5]]

    scores = [0.1, 0.5, 0.5, 0.9]
    hist = Table(data=[[s] for s in scores], columns=["scores"])
    ref, _ = _ref(tmp_path, plot.histogram(hist, "scores", title=None))
    assert ref["preset"] == "runyard/histogram" and ref["fields"] == {"value": "scores"}


def test_split_table_is_accepted_and_recorded(tmp_path: Path) -> None:
    table = Table(data=[[1, 1]], columns=["x", "y"])
    ref, _ = _ref(tmp_path, plot.line(table, "x", "y", split_table=True))
    assert ref["split_table"] is True
    ref, _ = _ref(tmp_path, plot.confusion_matrix(preds=[0], y_true=[0], split_table=False))
    assert "split_table" not in ref


def test_chart_keeps_the_table_as_it_was(tmp_path: Path) -> None:
    table = Table(data=[[1, 1]], columns=["x", "y"])
    chart = plot.line(table, "x", "y")
    table.add_data(2, 4)
    _, doc = _ref(tmp_path, chart)
    assert doc["data"] == [[1, 1]]


def test_line_series(tmp_path: Path) -> None:
    chart = plot.line_series([0, 1, 2], [[1, 2, 3], [4, 5, 6]], keys=["a", "b"], title="T", xname="epoch")
    ref, doc = _ref(tmp_path, chart)
    assert ref["preset"] == "runyard/line_series"
    assert ref["string_fields"] == {"title": "T", "xname": "epoch"}
    assert doc["columns"] == ["step", "lineKey", "lineVal"]
    assert doc["data"] == [[0, "a", 1], [1, "a", 2], [2, "a", 3], [0, "b", 4], [1, "b", 5], [2, "b", 6]]
    # one xs per series, default keys
    _, doc = _ref(tmp_path, plot.line_series([[0, 1], [5]], [np.array([1.0, 2.0]), [3.0]]))
    assert doc["data"] == [[0, "line_0", 1.0], [1, "line_0", 2.0], [5, "line_1", 3.0]]


# -- PR and ROC: hand-computed ------------------------------------------------------------------------
# y_true = [0, 0, 1, 1], P(class 1) = [0.1, 0.4, 0.35, 0.8]. Ranked by score: 0.8 (pos), 0.4 (neg),
# 0.35 (pos), 0.1 (neg) → cumulative TP = 1, 1, 2, 2 and FP = 0, 1, 1, 2 (P = N = 2). Class 0's
# scores (1 - p) rank its samples the same way, so both classes have the same curves.

Y_TRUE = [0, 0, 1, 1]
P1 = np.array([0.1, 0.4, 0.35, 0.8])
PROBAS = np.stack([1 - P1, P1], axis=1)


def test_roc_curve_hand_computed(tmp_path: Path) -> None:
    ref, doc = _ref(tmp_path, plot.roc_curve(Y_TRUE, PROBAS, labels=["neg", "pos"]))
    assert ref["preset"] == "runyard/roc_curve"
    assert ref["fields"] == {"x": "fpr", "y": "tpr", "class": "class"}
    assert doc["columns"] == ["class", "fpr", "tpr"]
    expected = [[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]]
    curves = _rows_by_class(doc)
    assert curves == {"neg": expected, "pos": expected}


def test_pr_curve_hand_computed(tmp_path: Path) -> None:
    ref, doc = _ref(tmp_path, plot.pr_curve(Y_TRUE, PROBAS, labels=["neg", "pos"], classes_to_plot=[1]))
    assert ref["preset"] == "runyard/pr_curve" and ref["title"] == "Precision-Recall Curve"
    assert doc["columns"] == ["class", "precision", "recall"]  # wandb's order
    curves = _rows_by_class(doc)
    assert list(curves) == ["pos"]
    got = np.array(curves["pos"])
    np.testing.assert_allclose(got[:, 1], [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(got[:, 0], [1, 1, 0.5, 2 / 3, 0.5])


def test_curves_with_tied_scores_binary_1d_and_string_labels(tmp_path: Path) -> None:
    # scores 0.5 (pos), 0.5 (neg), 0.2 (pos): the tie is one threshold → TP 1, 2 and FP 1, 1.
    _, doc = _ref(tmp_path, plot.roc_curve([1, 0, 1], [0.5, 0.5, 0.2], classes_to_plot=[1]))
    assert _rows_by_class(doc) == {1: [[0, 0], [1, 0.5], [1, 1]]}  # class values kept as given, as wandb
    _, doc = _ref(tmp_path, plot.pr_curve(["cat", "dog", "cat"], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]))
    curves = _rows_by_class(doc)
    assert set(curves) == {"cat", "dog"}
    # dog scores 0.1, 0.8, 0.4: the one dog ranks first → (recall 1, precision 1), then 1/2, 1/3
    assert curves["dog"] == [[1.0, 0.0], [1.0, 1.0], [0.5, 1.0], [1 / 3, 1.0]]  # [precision, recall]


def test_class_without_positives_is_left_out_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="class 2 has no positive samples"):
        chart = plot.roc_curve([0, 1, 0, 1], np.full((4, 3), 1 / 3))
    _, doc = _ref(tmp_path, chart)
    assert set(_rows_by_class(doc)) == {0, 1}


def test_long_curves_are_thinned_keeping_both_ends(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=5000)
    p = rng.random(5000)
    _, doc = _ref(tmp_path, plot.roc_curve(y, p, classes_to_plot=[1]))
    rows = _rows_by_class(doc)[1]
    assert len(rows) <= 500 and rows[0] == [0, 0] and rows[-1] == [1, 1]


# -- confusion matrix: hand-computed ------------------------------------------------------------------
# preds  = [0, 1, 1, 2, 2, 2]; y_true = [0, 1, 2, 2, 2, 0]
# (actual, predicted): (a,a) (b,b) (c,b) (c,c) (c,c) (a,c) → a: [1, 0, 1], b: [0, 1, 0], c: [0, 1, 2]

PREDS = [0, 1, 1, 2, 2, 2]
TRUTH = [0, 1, 2, 2, 2, 0]
NAMES = ["a", "b", "c"]
EXPECTED_CM = {"a": [1, 0, 1], "b": [0, 1, 0], "c": [0, 1, 2]}


def _matrix(doc: dict[str, Any]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for actual, _predicted, n in doc["data"]:
        out.setdefault(actual, []).append(n)
    return out


def test_confusion_matrix_keywords(tmp_path: Path) -> None:
    ref, doc = _ref(tmp_path, plot.confusion_matrix(preds=PREDS, y_true=TRUTH, class_names=NAMES))
    assert ref["preset"] == "runyard/confusion_matrix"
    assert ref["fields"] == {"Actual": "Actual", "Predicted": "Predicted", "nPredictions": "nPredictions"}
    assert doc["columns"] == ["Actual", "Predicted", "nPredictions"]
    assert [row[:2] for row in doc["data"][:3]] == [["a", "a"], ["a", "b"], ["a", "c"]]
    assert _matrix(doc) == EXPECTED_CM


def test_confusion_matrix_reference_positional_form(tmp_path: Path) -> None:
    # wandb.plot.confusion_matrix(predictions, ground_truth, class_names) — the reference's form
    _, doc = _ref(tmp_path, plot.confusion_matrix(PREDS, TRUTH, NAMES))
    assert _matrix(doc) == EXPECTED_CM
    _, doc = _ref(tmp_path, plot.confusion_matrix(np.array(PREDS), np.array(TRUTH)))
    assert _matrix(doc) == {"Class_1": [1, 0, 1], "Class_2": [0, 1, 0], "Class_3": [0, 1, 2]}


def test_confusion_matrix_from_probs_and_string_labels(tmp_path: Path) -> None:
    probs = np.eye(3)[PREDS] * 0.8 + 0.05
    _, doc = _ref(tmp_path, plot.confusion_matrix(probs=probs, y_true=TRUTH, class_names=NAMES))
    assert _matrix(doc) == EXPECTED_CM
    _, doc = _ref(tmp_path, plot.confusion_matrix(probs, TRUTH, NAMES))  # names in third place
    assert _matrix(doc) == EXPECTED_CM
    _, doc = _ref(tmp_path, plot.confusion_matrix(preds=["x", "y", "x"], y_true=["x", "x", "x"]))
    assert _matrix(doc) == {"x": [2, 1], "y": [0, 0]}


# -- plot_table and presets ---------------------------------------------------------------------------


def test_reference_plot_table_with_a_user_preset(tmp_path: Path) -> None:
    data = [[0, 1.5], [1, 1.7]]
    table = Table(data=data, columns=["step", "height"])
    fields = {"x": "step", "value": "height"}
    chart = plot_table(vega_spec_name="carey/new_chart", data_table=table, fields=fields)
    ref, doc = _ref(tmp_path, chart)
    assert ref["preset"] == "carey/new_chart" and ref["fields"] == fields and ref["string_fields"] == {}
    assert doc["data"] == data


def test_wandb_preset_names_are_aliases(tmp_path: Path) -> None:
    table = Table(data=[["a", "b", 3]], columns=["Actual", "Predicted", "Count"])
    chart = plot_table("wandb/confusion_matrix/v0", table,
                       {"Actual": "Actual", "Predicted": "Predicted", "nPredicted": "Count"})
    ref, _ = _ref(tmp_path, chart)
    assert ref["preset"] == "runyard/confusion_matrix"
    assert ref["fields"] == {"Actual": "Actual", "Predicted": "Predicted", "nPredictions": "Count"}
    xy = Table(data=[[0.0, 1.0, "c"]], columns=["recall", "precision", "class"])
    auc = plot_table("wandb/area-under-curve/v0", xy, {"x": "recall", "y": "precision", "class": "class"},
                     {"title": "PR"})
    assert auc.preset == "runyard/pr_curve" and auc.title == "PR"
    assert plot_table("wandb/line/v0", xy, {"x": "recall", "y": "precision"}).preset == "runyard/line"


def test_every_builtin_preset_loads_and_fills() -> None:
    for name in BUILTIN:
        spec = load_preset(name)
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        required, optional, strings = (spec["usermeta"]["runyard"][k]
                                       for k in ("fields", "optional_fields", "string_fields"))
        text = json.dumps(spec)
        for f in required + optional:
            assert "${field:" + f + "}" in text
        filled = fill_spec(spec, {f: f"col.{f}" for f in required}, {s: "S" for s in strings})
        out = json.dumps(filled)
        assert "${" not in out and "col\\\\." in out  # dots in column names are escaped for Vega-Lite
    for alias, target in ALIASES.items():
        assert load_preset(alias) == builtin_spec(target)


def test_fill_spec_drops_unmapped_optional_channels() -> None:
    filled = fill_spec(load_preset("runyard/line"), {"x": "step", "y": "loss"}, {"title": "Loss"})
    assert set(filled["encoding"]) == {"x", "y"} and filled["title"] == "Loss"
    with_stroke = fill_spec(load_preset("runyard/line"), {"x": "step", "y": "loss", "stroke": "run"})
    assert with_stroke["encoding"]["color"]["field"] == "run" and with_stroke["title"] == ""


def test_user_presets_saved_under_the_runs_root(tmp_path: Path) -> None:
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": {"name": "table"},
            "mark": "point", "encoding": {"x": {"field": "${field:x}", "type": "quantitative"},
                                          "y": {"field": "${field:value}", "type": "quantitative"}}}
    path = save_preset("carey/new_chart", spec, root=tmp_path)
    assert path == tmp_path / ".presets" / "carey" / "new_chart.json"
    assert load_preset("carey/new_chart", root=tmp_path) == spec
    assert list_presets(tmp_path)[-1] == "carey/new_chart"
    save_preset("carey/new_chart", {**spec, "mark": "line"}, root=tmp_path)  # saving again replaces it
    assert load_preset("carey/new_chart", root=tmp_path)["mark"] == "line"


def test_user_presets_default_to_the_runs_dir_setting(runs_dir: Path) -> None:
    save_preset("mine", {"mark": "bar"})
    assert (runs_dir / ".presets" / "mine.json").is_file()
    assert load_preset("mine") == {"mark": "bar"}


# -- bad inputs ------------------------------------------------------------------------------------


def test_line_series_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match=r"series 1 has 2 y values but 3 x values"):
        plot.line_series([0, 1, 2], [[1, 2, 3], [4, 5]])
    with pytest.raises(ValueError, match=r"2 keys for 3 series"):
        plot.line_series([0], [[1], [2], [3]], keys=["a", "b"])
    with pytest.raises(ValueError, match=r"xs has 2 series but ys has 3"):
        plot.line_series([[0], [1]], [[1], [2], [3]])


def test_curves_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match=r"y_true has 3 labels but y_probas has 4 rows"):
        plot.pr_curve([0, 1, 0], PROBAS)
    with pytest.raises(ValueError, match=r"3 labels for 2 probability columns"):
        plot.roc_curve(Y_TRUE, PROBAS, labels=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"label 5 in y_true is out of range for 2 probability columns"):
        plot.roc_curve([0, 1, 5, 1], PROBAS)
    with pytest.raises(ValueError, match=r"classes_to_plot names 'owl'"):
        plot.pr_curve(Y_TRUE, PROBAS, classes_to_plot=["owl"])


def test_confusion_matrix_mismatched_lengths_and_misuse() -> None:
    with pytest.raises(ValueError, match=r"5 predictions but 6 labels in y_true"):
        plot.confusion_matrix(preds=PREDS[:5], y_true=TRUTH)
    with pytest.raises(ValueError, match=r"probs has 2 rows but y_true has 6 labels"):
        plot.confusion_matrix(probs=np.eye(2), y_true=TRUTH)
    with pytest.raises(ValueError, match="either probs or preds, not both"):
        plot.confusion_matrix(probs=np.eye(6), y_true=TRUTH, preds=PREDS)
    with pytest.raises(ValueError, match=r"label 2 is out of range for 2 class_names"):
        plot.confusion_matrix(preds=PREDS, y_true=TRUTH, class_names=["a", "b"])


def test_bad_columns_and_tables() -> None:
    table = Table(data=[[1, 2]], columns=["x", "y"])
    with pytest.raises(ValueError, match=r"plot.line: y=.loss. is not a column of the table"):
        plot.line(table, "x", "loss")
    with pytest.raises(TypeError, match="must be a runyard Table"):
        plot.bar([[1, 2]], "x", "y")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"field 'value' names column 'h', which the table does not have"):
        plot_table("carey/new_chart", table, {"value": "h"})
    with pytest.raises(ValueError, match=r"missing fields \['y'\]"):
        plot_table("runyard/scatter", table, {"x": "x"})
    with pytest.raises(ValueError, match=r"unknown fields \['z'\]"):
        plot_table("runyard/scatter", table, {"x": "x", "y": "y", "z": "x"})


def test_bad_preset_names() -> None:
    with pytest.raises(ValueError, match="reserved for built-in presets"):
        save_preset("wandb/line/v0", {}, root="/tmp/unused")
    with pytest.raises(ValueError, match="is not valid"):
        save_preset("../escape", {}, root="/tmp/unused")
    with pytest.raises(KeyError, match="no chart preset 'nobody/nothing'"):
        load_preset("nobody/nothing", root="/tmp/unused")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 8)), min_size=1, max_size=40))
def test_curves_match_a_brute_force_threshold_sweep(samples: list[tuple[bool, int]]) -> None:
    positive = np.array([p for p, _ in samples])
    scores = np.array([s / 8 for _, s in samples])  # few distinct values: many ties
    assume(positive.any() and (~positive).any())
    thresholds = sorted(set(scores.tolist()), reverse=True)
    tp = np.array([np.sum(positive & (scores >= t)) for t in thresholds], dtype=float)
    fp = np.array([np.sum(~positive & (scores >= t)) for t in thresholds], dtype=float)
    fpr, tpr = roc_points(scores, positive)
    np.testing.assert_allclose(fpr, np.r_[0, fp / fp[-1]])
    np.testing.assert_allclose(tpr, np.r_[0, tp / tp[-1]])
    recall, precision = pr_points(scores, positive)
    np.testing.assert_allclose(recall, np.r_[0, tp / tp[-1]])
    np.testing.assert_allclose(precision, np.r_[1, tp / (tp + fp)])
