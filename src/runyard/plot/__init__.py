"""Custom charts (docs/media-refs.md, ``custom-chart``): a table plus a named Vega-Lite preset, logged like any value.

``runyard.plot.line(table, "x", "y")``, ``scatter``, ``bar``, ``histogram``, ``line_series``,
``pr_curve``, ``roc_curve`` and ``confusion_matrix`` build a ``CustomChart``; ``plot_table``
pairs any table with any preset, built-in or saved by the user (``save_preset``).
"""

from .charts import bar, histogram, line, line_series, scatter
from .curves import confusion_matrix, pr_curve, roc_curve
from .custom_chart import CustomChart, plot_table
from .presets import BUILTIN as BUILTIN_PRESETS
from .presets import fill_spec, list_presets, load_preset, save_preset

__all__ = [
    "BUILTIN_PRESETS",
    "CustomChart",
    "bar",
    "confusion_matrix",
    "fill_spec",
    "histogram",
    "line",
    "line_series",
    "list_presets",
    "load_preset",
    "plot_table",
    "pr_curve",
    "roc_curve",
    "save_preset",
    "scatter",
]
