"""Simple custom charts over a table (docs/media-refs.md, ``custom-chart``): line, scatter, bar, histogram,
line_series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..types.table import Table
from .custom_chart import CustomChart, plot_table


def _check_table(fn: str, table: Any, **columns: str | None) -> None:
    if not isinstance(table, Table):
        raise TypeError(
            f"plot.{fn}: the first argument must be a runyard Table, got {type(table).__module__}."
            f"{type(table).__qualname__} (build one with Table(data=rows, columns=[...]))"
        )
    for arg, column in columns.items():
        if column is None:
            continue
        if column not in table.columns:
            raise ValueError(
                f"plot.{fn}: {arg}={column!r} is not a column of the table; its columns are {table.columns}"
            )


def line(
    table: Table, x: str, y: str, stroke: str | None = None, title: str | None = None,
    *, split_table: bool = False,
) -> CustomChart:
    """A line of ``y`` against ``x`` (one line per value of the ``stroke`` column, if given)."""
    _check_table("line", table, x=x, y=y, stroke=stroke)
    fields = {"x": x, "y": y}
    if stroke is not None:
        fields["stroke"] = stroke
    return plot_table("runyard/line", table, fields, {"title": title}, split_table=split_table)


def scatter(
    table: Table, x: str, y: str, title: str | None = None, *, split_table: bool = False
) -> CustomChart:
    """A scatter plot of the points (``x``, ``y``)."""
    _check_table("scatter", table, x=x, y=y)
    return plot_table("runyard/scatter", table, {"x": x, "y": y}, {"title": title}, split_table=split_table)


def bar(
    table: Table, label: str, value: str, title: str | None = None, *, split_table: bool = False
) -> CustomChart:
    """One bar per row: ``label`` names it, ``value`` is its length."""
    _check_table("bar", table, label=label, value=value)
    return plot_table(
        "runyard/bar", table, {"label": label, "value": value}, {"title": title}, split_table=split_table
    )


def histogram(
    table: Table, value: str, title: str | None = None, *, split_table: bool = False
) -> CustomChart:
    """The distribution of column ``value``, binned in the chart."""
    _check_table("histogram", table, value=value)
    return plot_table("runyard/histogram", table, {"value": value}, {"title": title}, split_table=split_table)


def _series(value: Any, what: str) -> list[Any]:
    if isinstance(value, np.ndarray):
        return list(value.tolist())
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"plot.line_series: {what} must be a list, got {type(value).__name__}")
    return list(value)


def _is_flat(values: list[Any]) -> bool:
    return all(not isinstance(v, (list, tuple, np.ndarray)) for v in values)


def line_series(
    xs: Sequence[Any] | np.ndarray,
    ys: Sequence[Sequence[Any] | np.ndarray] | np.ndarray,
    keys: Sequence[str] | None = None,
    title: str | None = None,
    xname: str | None = None,
    *,
    split_table: bool = False,
) -> CustomChart:
    """Several lines on one chart: ``ys[i]`` against ``xs`` (shared) or ``xs[i]`` (one per line),
    named ``keys[i]`` (default ``line_0, line_1, ...``, as wandb names them)."""
    y_top = _series(ys, "ys")
    if not y_top:
        raise ValueError("plot.line_series: ys is empty; pass a list of series, e.g. [[1, 2, 3], [2, 3, 4]]")
    x_top = _series(xs, "xs")
    if not _is_flat(x_top) and len(x_top) != len(y_top):
        raise ValueError(
            f"plot.line_series: xs has {len(x_top)} series but ys has {len(y_top)}; pass one xs "
            "per series or one shared xs"
        )
    y_list = [_series(y, f"ys[{i}]") for i, y in enumerate(y_top)]
    if _is_flat(x_top):
        x_list = [x_top] * len(y_list)
    else:
        x_list = [_series(x, f"xs[{i}]") for i, x in enumerate(x_top)]
    for i, (x, y) in enumerate(zip(x_list, y_list, strict=True)):
        if len(x) != len(y):
            raise ValueError(
                f"plot.line_series: series {i} has {len(y)} y values but {len(x)} x values; "
                "every y needs exactly one x"
            )
    if keys is None:
        key_list = [f"line_{i}" for i in range(len(y_list))]
    else:
        key_list = [str(k) for k in _series(keys, "keys")]
        if len(key_list) != len(y_list):
            raise ValueError(
                f"plot.line_series: {len(key_list)} keys for {len(y_list)} series; pass one key per series"
            )
    rows = [[x, key, y] for key, xv, yv in zip(key_list, x_list, y_list, strict=True)
            for x, y in zip(xv, yv, strict=True)]
    table = Table(columns=["step", "lineKey", "lineVal"], data=rows,
                  max_rows=max(Table.MAX_ROWS, len(rows)))
    return plot_table(
        "runyard/line_series",
        table,
        {"step": "step", "lineKey": "lineKey", "lineVal": "lineVal"},
        {"title": title, "xname": xname},
        split_table=split_table,
    )
