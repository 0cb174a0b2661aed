"""``CustomChart`` and ``plot_table`` (docs/media-refs.md, ``custom-chart``): a table plus a named chart preset."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..types.base import Media, MediaStore
from ..types.table import Table
from .presets import ALIAS_FIELD_RENAMES, builtin_spec, is_builtin, preset_fields, resolve_name


@dataclass(frozen=True)
class ChartSpec:
    """Which preset draws a chart and from which columns (``CustomChart.spec``)."""

    spec_name: str
    fields: dict[str, str]
    string_fields: dict[str, str]


class CustomChart(Media):
    """A chart drawn by a preset from a table's columns.

    Reference: ``{"_type": "custom-chart", "preset": "runyard/line", "fields": {chart field:
    column}, "string_fields": {name: text}, "table": <table-file ref>, "title"?, "split_table"?}``.
    """

    _type = "custom-chart"

    def __init__(
        self,
        preset: str,
        table: Table,
        fields: Mapping[str, str],
        string_fields: Mapping[str, Any] | None = None,
        split_table: bool = False,
    ) -> None:
        self.preset = preset
        self.split_table = bool(split_table)
        self.table = table.snapshot()  # rows added to the user's table later are not this chart's
        self.fields = dict(fields)
        self.string_fields = {k: str(v) for k, v in (string_fields or {}).items() if v is not None}

    @property
    def title(self) -> str | None:
        return self.string_fields.get("title")

    @property
    def spec(self) -> ChartSpec:
        """wandb's ``CustomChart.spec``: the preset's name and the field mappings."""
        return ChartSpec(self.preset, dict(self.fields), dict(self.string_fields))

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        ref: dict[str, Any] = {
            "_type": "custom-chart",
            "preset": self.preset,
            "fields": dict(self.fields),
            "string_fields": dict(self.string_fields),
            "table": self.table.to_ref(store),
        }
        if self.title:
            ref["title"] = self.title
        if self.split_table:
            ref["split_table"] = True
        return ref

    def __repr__(self) -> str:
        return f"CustomChart(preset={self.preset!r}, fields={self.fields!r}, rows={len(self.table)})"


def plot_table(
    vega_spec_name: str,
    data_table: Table,
    fields: Mapping[str, str],
    string_fields: Mapping[str, Any] | None = None,
    split_table: bool = False,
) -> CustomChart:
    """A custom chart: ``data_table`` drawn by the preset ``vega_spec_name``.

    ``fields`` maps the preset's chart fields to the table's columns (``{"x": "step", "value":
    "height"}``); ``string_fields`` fills its strings (``{"title": ...}``). A built-in name or a
    wandb alias is checked against the preset's fields; any other name is a user-saved preset,
    kept as given and resolved by the UI. ``split_table`` (wandb's newer flag) is recorded in the
    reference as a hint for the UI to list the table among the run's tables too.
    """
    if not isinstance(vega_spec_name, str) or not vega_spec_name:
        raise ValueError(f"plot_table: vega_spec_name must be a preset name, got {vega_spec_name!r}")
    if not isinstance(data_table, Table):
        raise TypeError(
            f"plot_table: data_table must be a runyard Table, got {type(data_table).__module__}."
            f"{type(data_table).__qualname__} (build one with Table(data=..., columns=...))"
        )
    if not isinstance(fields, Mapping):
        raise TypeError(
            f"plot_table: fields must be a dict of chart field → column, got {type(fields).__name__}"
        )
    if string_fields is not None and not isinstance(string_fields, Mapping):
        raise TypeError(f"plot_table: string_fields must be a dict, got {type(string_fields).__name__}")
    mapped: dict[str, str] = {}
    for field, column in fields.items():
        if not isinstance(column, str):
            raise TypeError(f"plot_table: field {field!r} must name a column (a string), got {column!r}")
        if column not in data_table.columns:
            raise ValueError(
                f"plot_table: field {field!r} names column {column!r}, which the table does not have; "
                f"its columns are {data_table.columns}"
            )
        mapped[str(field)] = column
    preset = vega_spec_name
    if is_builtin(vega_spec_name):
        renames = ALIAS_FIELD_RENAMES.get(vega_spec_name, {})
        mapped = {renames.get(k, k): v for k, v in mapped.items()}
        preset = resolve_name(vega_spec_name)
        required, optional, _ = preset_fields(builtin_spec(preset))
        missing = [f for f in required if f not in mapped]
        unknown = [f for f in mapped if f not in required and f not in optional]
        if missing or unknown:
            problems = []
            if missing:
                problems.append(f"missing fields {missing}")
            if unknown:
                problems.append(f"unknown fields {unknown}")
            raise ValueError(
                f"plot_table: preset {vega_spec_name!r}: {', '.join(problems)}; it takes fields "
                f"{required}" + (f" and optionally {optional}" if optional else "")
            )
    return CustomChart(preset, data_table, mapped, string_fields, split_table)
