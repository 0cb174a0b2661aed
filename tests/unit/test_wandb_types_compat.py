"""wandb's media-type helpers as runyard has them (docs/wandb-compat.md): Table log modes and
equality, Html(data_is_not_path=), Plotly.make_plot_media, the plot defaults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import runyard
from runyard.errors import RunyardError
from runyard.types import Html, Plotly, Table
from runyard.types.base import MediaStore
from runyard.types.image import Image


def test_table_log_modes() -> None:
    with pytest.raises(AssertionError, match="Invalid log_mode: sometimes"):
        Table(log_mode="sometimes")
    t = Table(columns=["a", "b"], data=[[1, 2]], log_mode="INCREMENTAL")
    with pytest.raises(RunyardError, match="Operation 'add_column' is not supported for tables with "
                                           "log_mode='INCREMENTAL'"):
        t.add_column("c", [3])
    with pytest.raises(RunyardError, match="add_computed_columns"):
        t.add_computed_columns(lambda i, row: {"c": row["a"] + 1})
    t.add_data(3, 4)  # rows may still be added
    assert t.snapshot().log_mode == "INCREMENTAL" and t.data == [[1, 2], [3, 4]]
    m = Table(columns=["a"], data=[[1]], log_mode="MUTABLE")
    m.add_column("b", [2])
    assert m.columns == ["a", "b"]
    with pytest.raises(AssertionError, match="has 2 values but the table has 1 rows"):
        m.add_column("c", [1, 2])  # wandb asserts; runyard's error is a ValueError too


def test_incremental_table_logged_twice_holds_every_row_each_time() -> None:
    run = runyard.init(project="modes")
    t = Table(columns=["a"], data=[[1]], log_mode="INCREMENTAL")
    run.log({"t": t})
    t.add_data(2)
    run.log({"t": t})
    run.finish()
    rows = list(runyard.Api().run(run.path).scan_history())
    assert [r["t"].data for r in rows] == [[[1]], [[1], [2]]]


def test_table_equality_and_eq_debug() -> None:
    a = Table(columns=["x", "y"], data=[[1, "a"], [2, "b"]])
    assert a == Table(columns=["x", "y"], data=[[1, "a"], [2, "b"]])
    a._eq_debug(Table(columns=["x", "y"], data=[[1, "a"], [2, "b"]]), True)
    for other, why in [({}, "Found type"), (Table(columns=["x", "y"], data=[[1, "a"]]), "Found 1 rows"),
                       (Table(columns=["x", "z"], data=[[1, "a"], [2, "b"]]), "Found columns"),
                       (Table(columns=["x", "y"], data=[["1", "a"], ["2", "b"]]), "column types"),
                       (Table(columns=["x", "y"], data=[[1, "a"], [2, "c"]]), "Unequal data at row 1 column 1")]:
        assert a != other
        with pytest.raises(AssertionError, match=why):
            a._eq_debug(other, True)
    arrays = Table(columns=["v"], data=[[np.array([1, 2])]])
    assert arrays == Table(columns=["v"], data=[[[1, 2]]])


def test_html_data_is_not_path(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text("<p>from the file</p>")
    assert Html(str(page), inject=False).html == "<p>from the file</p>"
    assert Html(str(page), inject=False, data_is_not_path=True).html == str(page)
    assert Html(str(tmp_path), inject=False).html == str(tmp_path)  # a folder is text, as in wandb


def test_make_plot_media_picks_plotly_or_image() -> None:
    plt = pytest.importorskip("matplotlib.pyplot")
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    media = Plotly.make_plot_media(fig)
    assert type(media) is Plotly and media.figure["data"][0]["y"] == [1, 2, 3]
    fig2, axes = plt.subplots(2)
    axes[0].plot([1, 2])
    axes[1].imshow(np.zeros((4, 4, 3)))
    image = Plotly.make_plot_media(plt)  # the current figure: the one with an image
    assert type(image) is Image and image.width > 0
    plt.close("all")


def test_plot_defaults_are_wandbs(tmp_path: Path) -> None:
    roc = runyard.plot.roc_curve([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    pr = runyard.plot.pr_curve([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    cm = runyard.plot.confusion_matrix(y_true=[0, 1], preds=[1, 1])
    lines = runyard.plot.line_series([0, 1], [[1, 2], [3, 4]])
    assert [c.to_ref(MediaStore(tmp_path))["title"] for c in (roc, pr, cm)] == [
        "ROC Curve", "Precision-Recall Curve", "Confusion Matrix Curve"]
    assert {row[0] for row in roc.table.data} == {0, 1}  # class indices stay integers
    assert {row[1] for row in lines.table.data} == {"line_0", "line_1"}
    with pytest.raises(ValueError, match="xs has 2 series but ys has 1"):
        runyard.plot.line_series([[1], [2]], [3])  # the count is checked before the shapes, as in wandb
