"""A small matplotlib → Plotly converter, used for ``log({"chart": plt})`` (docs/media-refs.md,
``plotly-file``).

Why not plotly's own ``plotly.tools.mpl_to_plotly``: it runs on modern matplotlib, but returns
charts that silently mislead on common figures: bar category names are dropped, ``axhline`` and
pie charts vanish, ``twinx`` axes are not overlaid, an ``imshow`` becomes an empty chart, and
unlabelled lines are named ``_child0``. ``tests/unit/test_mpl_plotly_vs_plotly.py`` shows each
case side by side and fails when a plotly release fixes it. So this module reads a Figure's
artists directly and writes a Plotly figure dict: lines (``plot``, ``step``), scatter
(``PathCollection``, colour-mapped too), bars and histograms (``BarContainer``), line segments
(``LineCollection``: error bars, ``vlines``), filled polygons (``fill_between``), other patches in
data coordinates (step histograms, polygons, pie wedges), ``axhline``/``axvline`` as shapes, texts
and annotations with arrows, figure texts, titles, axis labels, limits, log scales, category and
date axes, ``twinx`` axes, one subplot per Axes placed where matplotlib placed it. Anything else
(images, meshes, contours, colour bars, 3-D or polar axes, ...) raises ``Unsupported``; the
caller then stores the figure as a PNG instead of a misleading chart.

matplotlib is never imported here unless the caller hands over one of its figures.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MAX_PATCHES = 500  # a figure of more loose patches than this is stored as a PNG


class Unsupported(Exception):
    """The figure holds something this converter cannot draw faithfully."""


_DASH = {"-": "solid", "solid": "solid", "--": "dash", "dashed": "dash", ":": "dot", "dotted": "dot",
         "-.": "dashdot", "dashdot": "dashdot"}
_SYMBOL = {"o": "circle", ".": "circle", ",": "circle", "s": "square", "^": "triangle-up",
           "v": "triangle-down", "<": "triangle-left", ">": "triangle-right", "x": "x", "X": "x",
           "+": "cross", "P": "cross", "D": "diamond", "d": "diamond-tall", "*": "star",
           "p": "pentagon", "h": "hexagon", "H": "hexagon2", "8": "octagon", "|": "line-ns",
           "_": "line-ew"}


# matplotlib drawstyle → plotly line.shape
_STEP_SHAPE = {"steps": "vh", "steps-pre": "vh", "steps-post": "hv", "steps-mid": "hvh"}


def _num_list(values: Any) -> list[float | None]:
    """Floats for JSON: NaN and infinities become null (Plotly draws a gap)."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    return [v if math.isfinite(v) else None for v in arr.tolist()]


def _color(c: Any) -> str:
    from matplotlib import colors

    r, g, b, a = colors.to_rgba(c)
    return f"rgba({round(r * 255)},{round(g * 255)},{round(b * 255)},{a:.3g})"


class _Axis:
    """How one matplotlib axis maps to Plotly: plain numbers, dates or categories."""

    def __init__(self, axis: Any) -> None:
        fmt = axis.get_major_formatter()
        self.axis = axis
        self.date = type(fmt).__module__ == "matplotlib.dates"
        self.category = type(fmt).__name__ in ("StrCategoryFormatter", "FixedFormatter")

    def values(self, data: Any) -> list[Any]:
        nums = _num_list(data)
        if not self.date:
            return nums
        from matplotlib import dates

        num2date: Any = dates.num2date
        return [None if v is None else num2date(v).isoformat() for v in nums]

    def layout(self, lim: tuple[float, float], scale: str, label: str) -> dict[str, Any]:
        out: dict[str, Any] = {"showgrid": False, "zeroline": False}
        if label:
            out["title"] = {"text": label}
        if scale == "log":
            out["type"] = "log"
            lo, hi = lim
            if lo > 0 and hi > 0:
                out["range"] = [math.log10(lo), math.log10(hi)]
        elif scale == "linear":
            out["range"] = self.values(lim) if self.date else [float(lim[0]), float(lim[1])]
            if self.date:
                out["type"] = "date"
        else:
            raise Unsupported(f"{scale} axis scale")
        if self.category:
            ticks = list(self.axis.get_majorticklocs())
            labels = [t.get_text() for t in self.axis.get_majorticklabels()]
            if len(labels) == len(ticks):
                out["tickmode"] = "array"
                out["tickvals"] = _num_list(ticks)
                out["ticktext"] = labels
        return out


def _line(line: Any, xa: _Axis, ya: _Axis, refs: dict[str, str], dpi: float) -> dict[str, Any] | None:
    xy = np.asarray(line.get_xydata(), dtype=np.float64)
    if xy.size == 0:
        return None
    xy = xy.reshape(-1, 2)
    ls = line.get_linestyle()
    marker = line.get_marker()
    has_line = ls not in ("None", "none", "", " ", None)
    has_marker = marker not in ("None", "none", "", " ", None)
    if not has_line and not has_marker:
        return None
    mode = "+".join(m for m, on in (("lines", has_line), ("markers", has_marker)) if on)
    label = str(line.get_label())
    trace: dict[str, Any] = {
        "type": "scatter", "mode": mode, "x": xa.values(xy[:, 0]), "y": ya.values(xy[:, 1]),
        "name": "" if label.startswith("_") else label, "showlegend": not label.startswith("_"), **refs,
    }
    if has_line:
        trace["line"] = {"color": _color(line.get_color()), "width": line.get_linewidth() * dpi / 72,
                         "dash": _DASH.get(ls, "solid")}
        shape = _STEP_SHAPE.get(str(line.get_drawstyle()))
        if shape:
            trace["line"]["shape"] = shape
    if has_marker:
        trace["marker"] = {"symbol": _SYMBOL.get(str(marker), "circle"),
                           "size": line.get_markersize() * dpi / 72,
                           "color": _color(line.get_markerfacecolor())}
    if line.get_alpha() is not None:
        trace["opacity"] = float(line.get_alpha())
    return trace


def _coord_refs(transform: Any, ax: Any, refs: dict[str, str]) -> tuple[str, str] | None:
    """Plotly (xref, yref) for an artist drawn with ``transform``: data and/or axes fractions."""
    x, y = refs["xaxis"], refs["yaxis"]
    if transform is ax.transData:
        return x, y
    if transform is ax.get_yaxis_transform():  # axhline, axhspan: x across the axes, y in data
        return f"{x} domain", y
    if transform is ax.get_xaxis_transform():  # axvline, axvspan
        return x, f"{y} domain"
    if transform is ax.transAxes:
        return f"{x} domain", f"{y} domain"
    return None


def _line_shape(line: Any, ax: Any, refs: dict[str, str], xa: _Axis, ya: _Axis, dpi: float) -> dict[str, Any]:
    """A straight line not in data coordinates (``axhline``, ``axvline``) as a Plotly shape."""
    coords = _coord_refs(line.get_transform(), ax, refs)
    xy = np.asarray(line.get_xydata(), dtype=np.float64).reshape(-1, 2)
    if coords is None or len(xy) != 2:
        raise Unsupported("a line in neither data nor axes coordinates")
    xref, yref = coords
    xs = xy[:, 0].tolist() if xref.endswith("domain") else xa.values(xy[:, 0])
    ys = xy[:, 1].tolist() if yref.endswith("domain") else ya.values(xy[:, 1])
    ls = line.get_linestyle()
    return {"type": "line", "xref": xref, "yref": yref, "x0": xs[0], "x1": xs[1], "y0": ys[0], "y1": ys[1],
            "line": {"color": _color(line.get_color()), "width": line.get_linewidth() * dpi / 72,
                     "dash": _DASH.get(ls, "solid")}}


def _rect_shape(patch: Any, ax: Any, xa: _Axis, ya: _Axis, refs: dict[str, str]) -> dict[str, Any]:
    """A rectangle spanning the axes in one direction (``axhspan``, ``axvspan``) as a Plotly shape."""
    from matplotlib.patches import Rectangle

    coords = _coord_refs(patch.get_data_transform(), ax, refs)
    if coords is None or not isinstance(patch, Rectangle):
        raise Unsupported(f"a {type(patch).__name__} in neither data nor axes coordinates")
    xref, yref = coords
    v = patch.get_patch_transform().transform(np.array([[0.0, 0.0], [1.0, 1.0]]))
    xs = v[:, 0].tolist() if xref.endswith("domain") else xa.values(v[:, 0])
    ys = v[:, 1].tolist() if yref.endswith("domain") else ya.values(v[:, 1])
    shape: dict[str, Any] = {"type": "rect", "xref": xref, "yref": yref, "x0": xs[0], "x1": xs[1],
                             "y0": ys[0], "y1": ys[1], "layer": "below",
                             "line": {"width": float(patch.get_linewidth()), "color": _color(patch.get_edgecolor())}}
    if patch.get_fill():
        shape["fillcolor"] = _color(patch.get_facecolor())
    return shape


def _patch(patch: Any, ax: Any, xa: _Axis, ya: _Axis, refs: dict[str, str]) -> dict[str, Any] | None:
    """Any patch in data coordinates (step histograms, polygons, pie wedges) as a filled trace."""
    if patch.get_data_transform() is not ax.transData:
        raise Unsupported(f"a {type(patch).__name__} not in data coordinates")
    polygons = patch.get_path().to_polygons(patch.get_patch_transform(), closed_only=False)
    if not polygons:
        return None
    xs: list[Any] = []
    ys: list[Any] = []
    for poly in polygons:
        v = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
        xs += xa.values(v[:, 0]) + [None]
        ys += ya.values(v[:, 1]) + [None]
    label = str(patch.get_label())
    trace: dict[str, Any] = {
        "type": "scatter", "mode": "lines", "x": xs[:-1], "y": ys[:-1],
        "name": "" if not label or label.startswith("_") else label,
        "showlegend": bool(label) and not label.startswith("_"),
        "line": {"color": _color(patch.get_edgecolor()), "width": float(patch.get_linewidth())}, **refs,
    }
    if patch.get_fill():
        trace["fill"] = "toself"
        trace["fillcolor"] = _color(patch.get_facecolor())
    return trace


def _scatter(coll: Any, xa: _Axis, ya: _Axis, refs: dict[str, str], dpi: float) -> dict[str, Any]:
    if coll.get_offset_transform() is not coll.axes.transData:
        raise Unsupported("a scatter collection not in data coordinates")
    coll.update_scalarmappable()  # colour-mapped values → face colours
    offsets = np.asarray(coll.get_offsets(), dtype=np.float64).reshape(-1, 2)
    n = len(offsets)
    faces = coll.get_facecolors()
    colors = [_color(c) for c in faces] if len(faces) else ["rgba(0,0,0,0)"]
    sizes = [math.sqrt(float(s)) * dpi / 72 for s in coll.get_sizes()] or [6.0]
    label = str(coll.get_label())
    return {
        "type": "scatter", "mode": "markers", "x": xa.values(offsets[:, 0]), "y": ya.values(offsets[:, 1]),
        "name": "" if label.startswith("_") else label, "showlegend": not label.startswith("_"),
        "marker": {"color": colors[0] if len(colors) == 1 else (colors * n)[:n],
                   "size": sizes[0] if len(sizes) == 1 else (sizes * n)[:n]},
        **refs,
    }


def _segments(coll: Any, xa: _Axis, ya: _Axis, refs: dict[str, str], dpi: float) -> dict[str, Any]:
    xs: list[Any] = []
    ys: list[Any] = []
    for seg in coll.get_segments():
        seg = np.asarray(seg, dtype=np.float64).reshape(-1, 2)
        xs += xa.values(seg[:, 0]) + [None]
        ys += ya.values(seg[:, 1]) + [None]
    colors = coll.get_colors()
    widths = coll.get_linewidths()
    return {
        "type": "scatter", "mode": "lines", "x": xs, "y": ys, "showlegend": False, "hoverinfo": "skip",
        "line": {"color": _color(colors[0]) if len(colors) else "black",
                 "width": (float(widths[0]) if len(widths) else 1.0) * dpi / 72},
        **refs,
    }


def _polygons(coll: Any, xa: _Axis, ya: _Axis, refs: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    faces = coll.get_facecolors()
    label = str(coll.get_label())
    for i, path in enumerate(coll.get_paths()):
        v = np.asarray(path.vertices, dtype=np.float64).reshape(-1, 2)
        out.append({
            "type": "scatter", "mode": "lines", "fill": "toself", "x": xa.values(v[:, 0]),
            "y": ya.values(v[:, 1]), "line": {"width": 0},
            "fillcolor": _color(faces[i % len(faces)]) if len(faces) else "rgba(0,0,0,0.2)",
            "name": "" if label.startswith("_") else label,
            "showlegend": i == 0 and not label.startswith("_"), **refs,
        })
    return out


def _bars(container: Any, xa: _Axis, ya: _Axis, refs: dict[str, str]) -> dict[str, Any]:
    horizontal = getattr(container, "orientation", "vertical") == "horizontal"
    pos, length, base, width, colors = [], [], [], [], []
    for rect in container.patches:
        if horizontal:
            pos.append(rect.get_y() + rect.get_height() / 2)
            width.append(rect.get_height())
            base.append(rect.get_x())
            length.append(rect.get_width())
        else:
            pos.append(rect.get_x() + rect.get_width() / 2)
            width.append(rect.get_width())
            base.append(rect.get_y())
            length.append(rect.get_height())
        colors.append(_color(rect.get_facecolor()))
    label = str(container.get_label())
    pos_axis, len_axis = (ya, xa) if horizontal else (xa, ya)
    trace: dict[str, Any] = {
        "type": "bar", "orientation": "h" if horizontal else "v",
        "name": "" if not label or label.startswith("_") else label,
        "showlegend": bool(label) and not label.startswith("_"),
        "width": _num_list(width), "base": _num_list(base),
        "marker": {"color": colors[0] if len(set(colors)) == 1 else colors}, **refs,
    }
    trace["y" if horizontal else "x"] = pos_axis.values(pos)
    trace["x" if horizontal else "y"] = _num_list(length) if not len_axis.date else len_axis.values(length)
    return trace


def _text(text: Any, ax: Any, refs: dict[str, str], xa: _Axis, ya: _Axis) -> dict[str, Any] | None:
    content = text.get_text()
    if not content or not text.get_visible():
        return None
    from matplotlib.text import Annotation

    if isinstance(text, Annotation):
        return _annotation(text, ax, refs, xa, ya)
    x, y = text.get_position()
    transform = text.get_transform()
    if transform is ax.transData:
        xref, yref = refs["xaxis"], refs["yaxis"]
        x, y = xa.values([x])[0], ya.values([y])[0]
    elif transform is ax.transAxes:
        xref, yref = refs["xaxis"] + " domain", refs["yaxis"] + " domain"
    else:
        raise Unsupported("a text in neither data nor axes coordinates")
    return {"text": content, "x": x, "y": y, "xref": xref, "yref": yref, "showarrow": False,
            **_anchors(text), "font": {"size": text.get_fontsize(), "color": _color(text.get_color())}}


def _anchors(text: Any) -> dict[str, str]:
    """Plotly's anchors for a matplotlib text's alignment (matplotlib: left, baseline by default)."""
    ha = {"left": "left", "center": "center", "right": "right"}.get(text.get_horizontalalignment(), "left")
    va = {"top": "top", "center": "middle", "center_baseline": "middle"}.get(
        text.get_verticalalignment(), "bottom"
    )
    return {"xanchor": ha, "yanchor": va}


def _annotation(text: Any, ax: Any, refs: dict[str, str], xa: _Axis, ya: _Axis) -> dict[str, Any]:
    """``ax.annotate``: a text at ``xytext`` with an optional arrow to the point ``xy`` (data)."""
    if text.xycoords != "data":
        raise Unsupported(f"an annotation of a point in {text.xycoords!r} coordinates")
    (px,), (py,) = xa.values([text.xy[0]]), ya.values([text.xy[1]])
    out: dict[str, Any] = {"text": text.get_text(), "x": px, "y": py, "xref": refs["xaxis"],
                           "yref": refs["yaxis"], "showarrow": text.arrow_patch is not None,
                           "font": {"size": text.get_fontsize(), "color": _color(text.get_color())}}
    coords = text.anncoords
    tx, ty = text.xyann
    if coords == "data":
        (ax_,), (ay_,) = xa.values([tx]), ya.values([ty])
        out.update(ax=ax_, ay=ay_, axref=refs["xaxis"], ayref=refs["yaxis"])
    elif coords == "offset points":
        scale = float(ax.figure.dpi) / 72
        out.update(ax=tx * scale, ay=-ty * scale)  # plotly: pixels, y downwards
    else:
        raise Unsupported(f"an annotation text in {coords!r} coordinates")
    if not out["showarrow"]:
        # no arrow: plotly places the text at (x, y), so put it where matplotlib drew it
        if coords == "data":
            out.update(x=out.pop("ax"), y=out.pop("ay"))
            out.pop("axref"), out.pop("ayref")
        else:
            out.update(xshift=out.pop("ax"), yshift=-out.pop("ay"))
    return out


def figure_to_plotly(fig: Any) -> dict[str, Any]:
    """A Plotly figure dict (``{"data": [...], "layout": {...}}``) drawing ``fig``'s artists."""
    from matplotlib.collections import LineCollection, PathCollection, PolyCollection
    from matplotlib.container import BarContainer, ErrorbarContainer

    axes = [ax for ax in fig.get_axes() if ax.get_visible()]
    if not axes:
        raise Unsupported("a figure with no axes")
    dpi = float(fig.dpi)
    width, height = fig.get_size_inches() * dpi
    data: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    layout: dict[str, Any] = {"width": round(width), "height": round(height), "showlegend": False,
                              "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "template": "none"}
    for n, ax in enumerate(axes, 1):
        if ax.name != "rectilinear":
            raise Unsupported(f"{ax.name} axes")
        if ax.images or ax.tables or ax.artists or getattr(ax, "child_axes", None):
            raise Unsupported("images, tables or other artists in the axes")
        if ax.get_legend() is not None:
            layout["showlegend"] = True
        suffix = "" if n == 1 else str(n)
        refs = {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
        xa, ya = _Axis(ax.xaxis), _Axis(ax.yaxis)
        bbox = ax.get_position()
        yl = ya.layout(ax.get_ylim(), ax.get_yscale(), ax.get_ylabel())
        if ax.get_aspect() == 1.0:  # ax.set_aspect("equal"), pie charts: circles stay round
            yl.update(scaleanchor=refs["xaxis"], scaleratio=1)
        twin = next((i for i, prev in enumerate(axes[: n - 1])
                     if prev.get_shared_x_axes().joined(prev, ax)
                     and tuple(prev.get_position().bounds) == tuple(bbox.bounds)), None)
        if twin is not None:
            # ax.twinx(): the same x axis, a second y axis on the right over the first.
            twin_suffix = "" if twin == 0 else str(twin + 1)
            refs["xaxis"] = f"x{twin_suffix}"
            yl.update(overlaying=f"y{twin_suffix}", side="right", anchor=refs["xaxis"])
            layout[f"yaxis{suffix}"] = yl
        else:
            xl = xa.layout(ax.get_xlim(), ax.get_xscale(), ax.get_xlabel())
            xl.update(domain=[max(0.0, bbox.x0), min(1.0, bbox.x1)], anchor=refs["yaxis"])
            yl.update(domain=[max(0.0, bbox.y0), min(1.0, bbox.y1)], anchor=refs["xaxis"])
            layout[f"xaxis{suffix}"], layout[f"yaxis{suffix}"] = xl, yl

        bar_patches: set[int] = set()
        for container in ax.containers:
            if isinstance(container, BarContainer):
                data.append(_bars(container, xa, ya, refs))
                bar_patches.update(id(p) for p in container.patches)
            elif not isinstance(container, ErrorbarContainer):
                raise Unsupported(f"a {type(container).__name__}")
        others = [p for p in ax.patches if id(p) not in bar_patches and p.get_visible()]
        if len(others) > MAX_PATCHES:
            raise Unsupported(f"{len(others)} patches (at most {MAX_PATCHES} are converted)")
        for patch in others:
            if patch.get_data_transform() is not ax.transData:
                shapes.append(_rect_shape(patch, ax, xa, ya, refs))
                continue
            trace = _patch(patch, ax, xa, ya, refs)
            if trace is not None:
                data.append(trace)
        for line in ax.get_lines():
            if not line.get_visible():
                continue
            if line.get_transform() is ax.transData:
                trace = _line(line, xa, ya, refs, dpi)
                if trace is not None:
                    data.append(trace)
            else:
                shapes.append(_line_shape(line, ax, refs, xa, ya, dpi))
        for coll in ax.collections:
            if not coll.get_visible():
                continue
            if isinstance(coll, PathCollection):
                data.append(_scatter(coll, xa, ya, refs, dpi))
            elif isinstance(coll, LineCollection):
                data.append(_segments(coll, xa, ya, refs, dpi))
            elif type(coll) is PolyCollection or type(coll).__name__ == "FillBetweenPolyCollection":
                data.extend(_polygons(coll, xa, ya, refs))
            else:
                raise Unsupported(f"a {type(coll).__name__}")
        for text in ax.texts:
            ann = _text(text, ax, refs, xa, ya)
            if ann is not None:
                annotations.append(ann)
        title = ax.get_title() or ax.get_title("left") or ax.get_title("right")
        if title:
            if len(axes) == 1:
                layout["title"] = {"text": title}
            else:
                annotations.append({"text": title, "x": (bbox.x0 + bbox.x1) / 2, "y": min(1.0, bbox.y1),
                                    "xref": "paper", "yref": "paper", "yanchor": "bottom",
                                    "showarrow": False, "font": {"size": 14}})
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    if suptitle:
        layout["title"] = {"text": suptitle}
    for text in fig.texts:
        if text is getattr(fig, "_suptitle", None) or not text.get_text() or not text.get_visible():
            continue
        if text.get_transform() is not fig.transSubfigure and text.get_transform() is not fig.transFigure:
            raise Unsupported("a figure text in neither figure nor data coordinates")
        x, y = text.get_position()
        annotations.append({"text": text.get_text(), "x": x, "y": y, "xref": "paper", "yref": "paper",
                            "showarrow": False, **_anchors(text),
                            "font": {"size": text.get_fontsize(), "color": _color(text.get_color())}})
    if annotations:
        layout["annotations"] = annotations
    if shapes:
        layout["shapes"] = shapes
    return {"data": data, "layout": layout}
