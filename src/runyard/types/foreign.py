"""Values of other libraries that ``log()`` turns into runyard media (SPEC §3.9).

``convert_foreign(value)`` runs on the caller's thread for values of a type the SDK does not
know. It looks only at ``type(value).__module__`` (and a module's ``__name__``), so matplotlib
and plotly are never imported unless the value is one of theirs:

- ``matplotlib.pyplot`` or a matplotlib Figure → an interactive ``Plotly`` chart (converted now,
  since the figure may be changed or cleared right after ``log()``); when the figure holds
  something the converter cannot draw, a PNG image instead, with a one-time warning;
- a plotly figure or trace → ``Plotly``;
- anything else → ``None`` (the SDK reports the unsupported type).
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from .base import Media, MediaStore
from .plotly import Plotly, is_matplotlib_figure, is_plotly_object, matplotlib_figure

_warned_png = False


class FigurePNG(Media):
    """A matplotlib figure rendered to PNG (the fallback when it cannot become a Plotly chart).

    Reference: ``{"_type": "image-file", "path", "sha256", "size", "format": "png", "width",
    "height"}`` — the same kind as ``Image`` so the UI shows it as an image.
    """

    _type = "image-file"

    def __init__(self, fig: Any) -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        self._png = buf.getvalue()
        self.width = int.from_bytes(self._png[16:20], "big")
        self.height = int.from_bytes(self._png[20:24], "big")

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        ref = store.put_bytes("image", self._png, "png")
        return {"_type": "image-file", **ref, "format": "png", "width": self.width, "height": self.height}


def _figure_png(fig: Any, reason: str) -> Media:
    global _warned_png
    if not _warned_png:
        _warned_png = True
        warnings.warn(
            f"runyard: a matplotlib figure could not be converted to an interactive chart ({reason}); "
            "it is stored as a PNG image instead (this warning is shown once)",
            stacklevel=4,
        )
    return FigurePNG(fig)


def convert_foreign(value: Any) -> Media | None:
    """A Media for a matplotlib or plotly value, or ``None`` when ``value`` is neither."""
    if is_matplotlib_figure(value):
        from .mpl_plotly import figure_to_plotly

        fig = matplotlib_figure(value)
        try:
            return Plotly.from_dict(figure_to_plotly(fig))
        except Exception as e:  # any failure of the converter falls back to a PNG
            return _figure_png(fig, f"{type(e).__name__}: {e}")
    if is_plotly_object(value):
        return Plotly(value)
    module = type(value).__module__ or ""
    if module.startswith("matplotlib.") and hasattr(value, "figure") and hasattr(value, "get_lines"):
        return convert_foreign(value.figure)  # an Axes: its figure
    return None
