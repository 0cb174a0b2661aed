"""Why ``types/mpl_plotly.py`` exists: the figures plotly's own ``plotly.tools.mpl_to_plotly``
gets wrong without an error, side by side with runyard's converter.

plotly's converter runs without raising on plain lines, scatters, bars, histograms, steps, fills,
error bars, log scales, dates and subplots (there the two agree). On the figures below it returns
a chart that silently misleads. Each test asserts both halves, so when a plotly release fixes a
case its test fails: that is the signal to drop the hand-written code for that case.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

matplotlib = pytest.importorskip("matplotlib", reason="needs the plots extra (matplotlib)")
plotly_tools = pytest.importorskip("plotly.tools", reason="needs the plots extra (plotly)")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from runyard.types.mpl_plotly import Unsupported, figure_to_plotly  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    plt.close("all")
    yield
    plt.close("all")


def _plotly_own(fig: Any) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mplexporter warns about what it drops
        out: dict[str, Any] = plotly_tools.mpl_to_plotly(fig).to_plotly_json()
    return out


def test_category_labels_of_a_bar_chart() -> None:
    fig, ax = plt.subplots()
    ax.bar(["adam", "sgd", "lion"], [0.91, 0.87, 0.93])
    theirs = _plotly_own(fig)["layout"]["xaxis"]
    assert "ticktext" not in theirs and "categoryarray" not in theirs  # bars at 0, 1, 2, names gone
    ours = figure_to_plotly(fig)["layout"]["xaxis"]
    assert ours["ticktext"] == ["adam", "sgd", "lion"] and ours["tickvals"] == [0.0, 1.0, 2.0]


def test_a_reference_line() -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0.5, 0.7, 0.9])
    ax.axhline(0.8, color="red")  # e.g. a target accuracy
    theirs = _plotly_own(fig)
    assert len(theirs["data"]) == 1 and not theirs["layout"].get("shapes")  # the line is gone
    ours = figure_to_plotly(fig)
    (shape,) = ours["layout"]["shapes"]
    assert shape["y0"] == shape["y1"] == 0.8 and shape["xref"].endswith("domain")


def test_twin_axes() -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1.0, 0.5, 0.2])
    ax.twinx().plot([0, 1, 2], [0.1, 0.01, 0.001], color="red")
    theirs = _plotly_own(fig)["layout"]
    assert "overlaying" not in theirs["yaxis2"] and theirs["yaxis2"]["side"] == "left"  # drawn as one
    ours = figure_to_plotly(fig)["layout"]
    assert ours["yaxis2"]["overlaying"] == "y" and ours["yaxis2"]["side"] == "right"


def test_an_image_is_not_turned_into_an_empty_chart() -> None:
    fig, ax = plt.subplots()
    ax.imshow(np.arange(64, dtype=float).reshape(8, 8))
    assert _plotly_own(fig)["data"] == []  # an empty chart, no error
    with pytest.raises(Unsupported):  # runyard stores the figure as a PNG instead
        figure_to_plotly(fig)


def test_a_pie_chart() -> None:
    fig, ax = plt.subplots()
    ax.pie([1, 2, 3])
    assert _plotly_own(fig)["data"] == []  # an empty chart, no error
    ours = figure_to_plotly(fig)
    assert len(ours["data"]) == 3 and all(t["fill"] == "toself" for t in ours["data"])  # one wedge each


def test_unlabelled_lines_are_not_named_after_matplotlib_internals() -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    assert _plotly_own(fig)["data"][0]["name"] == "_child0"  # shown on hover and in the legend
    assert figure_to_plotly(fig)["data"][0]["name"] == ""
