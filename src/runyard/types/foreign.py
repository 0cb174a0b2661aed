"""Values of other libraries that ``log()`` turns into runyard media (docs/media-refs.md, ``plotly-file``).

``convert_foreign(value)`` runs on the caller's thread for values of a type the SDK does not
know. It looks only at ``type(value).__module__`` (and a module's ``__name__``), so matplotlib
and plotly are never imported unless the value is one of theirs:

- ``matplotlib.pyplot`` or a matplotlib Figure → an interactive ``Plotly`` chart (converted now,
  since the figure may be changed or cleared right after ``log()``); when the figure holds
  something the converter cannot draw, a PNG ``Image`` instead, with a one-time warning;
- a plotly figure or trace → ``Plotly``;
- anything else → ``None`` (the SDK reports the unsupported type).
"""

from __future__ import annotations

import warnings
from typing import Any

from .base import Media
from .plotly import Plotly, is_matplotlib_figure, is_plotly_object, matplotlib_figure

_warned_png = False


def _figure_png(fig: Any, reason: str) -> Media:
    global _warned_png
    if not _warned_png:
        _warned_png = True
        warnings.warn(
            f"runyard: a matplotlib figure could not be converted to an interactive chart ({reason}); "
            "it is stored as a PNG image instead (this warning is shown once)",
            stacklevel=4,
        )
    from .image import Image

    return Image(fig)


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
