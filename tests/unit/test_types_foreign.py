"""matplotlib and plotly values (docs/media-refs.md, plotly-file): converted to a Plotly chart, or a PNG when they can't be."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import pytest  # noqa: E402

from runyard.types import MediaStore, Plotly, foreign  # noqa: E402
from runyard.types.foreign import convert_foreign
from runyard.types.image import Image  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_figures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(foreign, "_warned_png", False)
    plt.close("all")
    yield
    plt.close("all")


def _figure_json(tmp_path: Path, media: Any) -> dict[str, Any]:
    assert isinstance(media, Plotly)
    ref = media.to_ref(MediaStore(tmp_path))
    assert ref["_type"] == "plotly-file" and ref["path"].startswith("media/plotly/")
    assert ref["path"].endswith(".plotly.json")
    doc: dict[str, Any] = json.loads((tmp_path / ref["path"]).read_bytes())
    return doc


def test_reference_pyplot_example(tmp_path: Path) -> None:
    plt.plot([1, 2, 3, 4])
    plt.ylabel("some interesting numbers")
    doc = _figure_json(tmp_path, convert_foreign(plt))
    (trace,) = doc["data"]
    assert trace["type"] == "scatter" and trace["mode"] == "lines"
    assert trace["x"] == [0.0, 1.0, 2.0, 3.0] and trace["y"] == [1.0, 2.0, 3.0, 4.0]
    assert doc["layout"]["yaxis"]["title"]["text"] == "some interesting numbers"
    assert "title" not in doc["layout"]["xaxis"]


def test_lines_markers_scatter_bars_titles_and_legend(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0, 1, 4], "r--o", label="squares")
    ax.scatter([0.5, 1.5], [3, 2], s=36, label="points")
    ax.bar(["a", "b"], [1, 2], label="counts")
    ax.set_title("Everything")
    ax.set_xlabel("x")
    ax.set_yscale("log")
    ax.text(1, 2, "note")
    ax.legend()
    doc = _figure_json(tmp_path, convert_foreign(fig))
    by_name = {t.get("name"): t for t in doc["data"]}
    line = by_name["squares"]
    assert line["mode"] == "lines+markers" and line["line"]["dash"] == "dash"
    assert line["line"]["color"] == "rgba(255,0,0,1)" and line["marker"]["symbol"] == "circle"
    assert line["y"] == [0.0, 1.0, 4.0]
    pts = by_name["points"]
    assert pts["mode"] == "markers" and pts["x"] == [0.5, 1.5] and pts["y"] == [3.0, 2.0]
    bars = by_name["counts"]
    assert bars["type"] == "bar" and bars["y"] == [1.0, 2.0] and bars["x"] == [0.0, 1.0]
    layout = doc["layout"]
    assert layout["title"]["text"] == "Everything" and layout["showlegend"] is True
    assert layout["xaxis"]["title"]["text"] == "x" and layout["yaxis"]["type"] == "log"
    assert layout["xaxis"]["ticktext"] == ["a", "b"]  # category axis keeps its names
    assert layout["annotations"][0]["text"] == "note"


def test_subplots_histogram_errorbars_and_fill(tmp_path: Path) -> None:
    fig, (a, b) = plt.subplots(1, 2)
    a.hist([1, 1, 2, 3, 3, 3], bins=3)
    a.set_title("left")
    b.errorbar([1, 2], [1, 2], yerr=[0.1, 0.2])
    b.fill_between([0, 1, 2], [0, 1, 0], alpha=0.3)
    fig.suptitle("both")
    doc = _figure_json(tmp_path, convert_foreign(fig))
    hist = next(t for t in doc["data"] if t["type"] == "bar")
    assert hist["y"] == [2.0, 1.0, 3.0] and hist["xaxis"] == "x"
    assert {t["xaxis"] for t in doc["data"]} == {"x", "x2"}
    assert any(t.get("fill") == "toself" for t in doc["data"])
    assert doc["layout"]["title"]["text"] == "both"
    assert doc["layout"]["xaxis"]["domain"][1] < doc["layout"]["xaxis2"]["domain"][0]
    assert doc["layout"]["annotations"][0]["text"] == "left"


def test_twin_axes_share_x_and_overlay_y(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="loss")
    ax2 = ax.twinx()
    ax2.plot([0, 1], [100, 50], label="lr")
    ax2.set_ylabel("lr")
    doc = _figure_json(tmp_path, convert_foreign(fig))
    assert [(t["xaxis"], t["yaxis"]) for t in doc["data"]] == [("x", "y"), ("x", "y2")]
    assert "xaxis2" not in doc["layout"]
    assert doc["layout"]["yaxis2"]["overlaying"] == "y" and doc["layout"]["yaxis2"]["side"] == "right"
    assert doc["layout"]["yaxis2"]["title"]["text"] == "lr"


def test_dates_on_x(tmp_path: Path) -> None:
    import datetime as dt

    fig, ax = plt.subplots()
    ax.plot([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)], [1, 2])
    doc = _figure_json(tmp_path, convert_foreign(fig))
    assert doc["data"][0]["x"][0].startswith("2024-01-01") and doc["layout"]["xaxis"]["type"] == "date"


def test_steps_reference_lines_spans_annotations_and_figure_text(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.step([1, 2, 3], [1, 3, 2], where="post")
    ax.axhline(1.5, color="k")
    ax.axvline(2, linestyle="--")
    ax.axhspan(2, 2.5, alpha=0.2)
    ax.annotate("peak", xy=(2, 3), xytext=(1.2, 2.8), arrowprops={"arrowstyle": "->"})
    fig.text(0.01, 0.01, "footnote")
    doc = _figure_json(tmp_path, convert_foreign(fig))
    assert doc["data"][0]["line"]["shape"] == "hv"
    shapes = doc["layout"]["shapes"]
    rect = next(s for s in shapes if s["type"] == "rect")
    assert (rect["xref"], rect["x0"], rect["x1"], rect["y0"], rect["y1"]) == ("x domain", 0, 1, 2, 2.5)
    hline = next(s for s in shapes if s["type"] == "line" and s["yref"] == "y")
    assert (hline["xref"], hline["y0"], hline["y1"]) == ("x domain", 1.5, 1.5)
    vline = next(s for s in shapes if s["type"] == "line" and s["xref"] == "x")
    assert (vline["x0"], vline["yref"], vline["line"]["dash"]) == (2, "y domain", "dash")
    arrow = next(a for a in doc["layout"]["annotations"] if a["text"] == "peak")
    assert arrow["showarrow"] and (arrow["x"], arrow["y"], arrow["ax"], arrow["ay"]) == (2, 3, 1.2, 2.8)
    foot = next(a for a in doc["layout"]["annotations"] if a["text"] == "footnote")
    assert (foot["xref"], foot["x"], foot["y"]) == ("paper", 0.01, 0.01)


def test_step_histogram_and_pie_become_polygons(tmp_path: Path) -> None:
    fig, (a, b) = plt.subplots(1, 2)
    a.hist([1, 2, 2, 3, 3, 3], bins=3, histtype="step")
    b.pie([1, 1], colors=["red", "blue"])
    doc = _figure_json(tmp_path, convert_foreign(fig))
    outline = next(t for t in doc["data"] if t["xaxis"] == "x")
    assert max(v for v in outline["y"] if v is not None) == 3.0
    wedges = [t for t in doc["data"] if t["xaxis"] == "x2"]
    assert [w["fillcolor"] for w in wedges] == ["rgba(255,0,0,1)", "rgba(0,0,255,1)"]
    assert doc["layout"]["yaxis2"]["scaleanchor"] == "x2"  # the pie stays round


def test_nan_in_a_line_becomes_null(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1.0, np.nan, 3.0])
    doc = _figure_json(tmp_path, convert_foreign(fig))
    assert doc["data"][0]["y"] == [1.0, None, 3.0]


def test_conversion_happens_at_log_time(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    (line,) = ax.plot([1, 2, 3])
    media = convert_foreign(fig)
    line.set_ydata([9, 9, 9])
    assert _figure_json(tmp_path, media)["data"][0]["y"] == [1.0, 2.0, 3.0]


def test_unsupported_figure_falls_back_to_png_with_one_warning(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.imshow(np.eye(4))
    with pytest.warns(UserWarning, match=r"could not be converted .*stored as a PNG image"):
        media = convert_foreign(fig)
    assert isinstance(media, Image)
    ref = media.to_ref(MediaStore(tmp_path))
    assert ref["_type"] == "image-file" and ref["format"] == "png"
    data = (tmp_path / ref["path"]).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image as PILImage

    with PILImage.open(tmp_path / ref["path"]) as im:
        assert im.size == (ref["width"], ref["height"]) == (640, 480)
    fig2, ax2 = plt.subplots()
    ax2.pcolormesh(np.eye(3))
    assert isinstance(convert_foreign(fig2), Image)  # no second warning (warnings are errors here)


def test_plotly_figure_and_trace(tmp_path: Path) -> None:
    fig = go.Figure(go.Scatter(x=np.arange(3), y=[1.0, float("nan"), 3.0], name="s"))
    fig.update_layout(title="plotly")
    media = convert_foreign(fig)
    fig.data[0].name = "changed later"
    doc = _figure_json(tmp_path, media)
    assert doc["data"][0]["name"] == "s" and doc["data"][0]["y"] == [1.0, None, 3.0]
    assert doc["layout"]["title"]["text"] == "plotly"
    x = doc["data"][0]["x"]  # plotly writes numpy arrays as typed arrays
    if isinstance(x, dict):
        x = np.frombuffer(base64.b64decode(x["bdata"]), x["dtype"]).tolist()
    assert x == [0, 1, 2]
    trace_doc = _figure_json(tmp_path, convert_foreign(go.Bar(x=["a"], y=[1])))
    assert trace_doc["data"][0]["type"] == "bar"


def test_plotly_class_directly(tmp_path: Path) -> None:
    assert _figure_json(tmp_path, Plotly({"data": [{"type": "bar", "y": [1, 2]}]}))["data"][0]["y"] == [1, 2]
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    assert _figure_json(tmp_path, Plotly(fig))["data"][0]["y"] == [1.0, 2.0]
    fig2, ax2 = plt.subplots()
    ax2.imshow(np.eye(2))
    with pytest.raises(ValueError, match=r"cannot be converted.*Image\(fig\)"):
        Plotly(fig2)
    with pytest.raises(TypeError, match="expected a plotly figure"):
        Plotly(42)


def test_other_values_are_not_converted() -> None:
    assert convert_foreign(object()) is None
    assert convert_foreign(np) is None
    assert convert_foreign({"data": []}) is None


def test_detection_never_imports_matplotlib_or_plotly() -> None:
    code = (
        "import sys; from runyard.types.foreign import convert_foreign; "
        "convert_foreign(object()); convert_foreign(3); convert_foreign(sys); "
        "print(sorted(m for m in ('matplotlib', 'plotly', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
