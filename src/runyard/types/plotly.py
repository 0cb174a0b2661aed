"""``Plotly`` (docs/media-refs.md, ``plotly-file``): a Plotly figure stored as its JSON, drawn by plotly.js in the UI.

Accepts a plotly figure (any ``plotly.graph_objects`` figure or trace), a figure dict
(``{"data": [...], "layout": {...}}``) or a matplotlib figure / ``matplotlib.pyplot`` (converted
by ``mpl_plotly``). The figure is copied on the caller's thread (``to_plotly_json`` deep-copies)
and serialised on the writer thread to ``media/plotly/<sha256>.plotly.json``. Numpy arrays inside
a plotly figure are written the way plotly writes them (typed arrays, ``{"dtype", "bdata"}``,
which plotly.js ≥ 2.28 reads); NaN and infinities become ``null``.
"""

from __future__ import annotations

import copy
import json
import math
import sys
from collections.abc import Mapping
from typing import Any

from .base import Media, MediaStore


def is_plotly_object(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module.startswith("plotly.") and (hasattr(value, "to_plotly_json") or hasattr(value, "to_json"))


def is_matplotlib_figure(value: Any) -> bool:
    """A matplotlib Figure/SubFigure or the ``matplotlib.pyplot`` module (never imports matplotlib)."""
    if getattr(value, "__name__", None) == "matplotlib.pyplot" and hasattr(value, "gcf"):
        return True
    module = type(value).__module__ or ""
    return module.startswith("matplotlib.") and hasattr(value, "get_axes") and hasattr(value, "savefig")


def matplotlib_figure(value: Any) -> Any:
    """The Figure behind ``value`` (``plt`` → its current figure)."""
    if getattr(value, "__name__", None) == "matplotlib.pyplot":
        return value.gcf()
    return value


def _plotly_figure_dict(value: Any) -> dict[str, Any]:
    if hasattr(value, "to_plotly_json"):
        doc = value.to_plotly_json()
    else:
        doc = json.loads(value.to_json())
    if not isinstance(doc, dict):
        raise TypeError(f"Plotly: {type(value).__name__}.to_plotly_json() did not return a dict")
    if "data" in doc or "layout" in doc:
        return doc
    if "type" in doc:  # a single trace (go.Scatter(...)): a figure holding it
        return {"data": [doc], "layout": {}}
    raise TypeError(
        f"Plotly: {type(value).__module__}.{type(value).__name__} is neither a figure nor a trace"
    )


def _clean(value: Any) -> Any:
    """JSON-safe copy of a plain figure dict: non-finite floats → None, numpy → Python."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _clean(value.tolist())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class Plotly(Media):
    """A Plotly chart. Reference: ``{"_type": "plotly-file", "path", "sha256", "size"}``."""

    _type = "plotly-file"

    def __init__(self, val: Any) -> None:
        self._plotly_encoded = False
        if is_plotly_object(val):
            self._figure = _plotly_figure_dict(val)
            self._plotly_encoded = True
        elif is_matplotlib_figure(val):
            from .mpl_plotly import Unsupported, figure_to_plotly

            try:
                self._figure = figure_to_plotly(matplotlib_figure(val))
            except Unsupported as e:
                raise ValueError(
                    f"Plotly: this matplotlib figure cannot be converted to an interactive chart ({e}); "
                    "log it as an image with Image(fig) instead"
                ) from e
        elif isinstance(val, Mapping) and ("data" in val or "layout" in val):
            self._figure = copy.deepcopy(dict(val))
        else:
            raise TypeError(
                f"Plotly: expected a plotly figure, a figure dict or a matplotlib figure, got "
                f"{type(val).__module__}.{type(val).__qualname__}"
            )

    @classmethod
    def make_plot_media(cls, val: Any) -> Media:
        """wandb's helper: a matplotlib figure (or ``plt``) becomes a ``Plotly`` chart when it converts
        faithfully and an ``Image`` otherwise (a figure with an ``imshow``, say); anything else is
        ``Plotly(val)``."""
        if is_matplotlib_figure(val):
            from .mpl_plotly import Unsupported, figure_to_plotly

            figure = matplotlib_figure(val)
            try:
                return cls.from_dict(figure_to_plotly(figure))
            except Unsupported:
                from .image import Image

                return Image(figure)
        return cls(val)

    @classmethod
    def from_dict(cls, figure: dict[str, Any]) -> Plotly:
        """Wrap a figure dict the caller will not touch again (no copy)."""
        obj = cls.__new__(cls)
        obj._plotly_encoded = False
        obj._figure = figure
        return obj

    @property
    def figure(self) -> dict[str, Any]:
        """The figure as a dict (``{"data": [...], "layout": {...}}``)."""
        return self._figure

    def to_json_bytes(self) -> bytes:
        if self._plotly_encoded and "plotly" in sys.modules:
            from plotly.io.json import to_json_plotly

            return str(to_json_plotly(self._figure)).encode("utf-8")
        return json.dumps(_clean(self._figure), separators=(",", ":"), allow_nan=False).encode("utf-8")

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        return {"_type": "plotly-file", **store.put_bytes("plotly", self.to_json_bytes(), "plotly.json")}
