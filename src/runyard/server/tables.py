"""Logged tables (``table-file`` references) read back paged, sorted and filtered.

The file format is the one ``runyard.types.table`` writes: ``{"columns": [...], "data": [[...]]}``
with values JSON cannot hold in the tagged encoding of ``runyard.jsonvalue`` (``{"$float": "NaN"}``;
files of earlier versions wrote ``{"_type": "float", "value": "NaN"}``). Cells are sent as stored.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from .. import jsonvalue
from .errors import ApiError

_CACHE: OrderedDict[str, tuple[list[str], list[list[Any]]]] = OrderedDict()
_LOCK = threading.Lock()
_CACHE_SIZE = 16


def load(path: Path) -> tuple[list[str], list[list[Any]]]:
    key = str(path)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ApiError(422, f"the table file {path.name} cannot be read: {exc}") from None
    columns, data = _decode(path.name, raw)
    with _LOCK:  # content-addressed files never change: caching by path is safe
        _CACHE[key] = (columns, data)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return columns, data


def _decode(name: str, raw: bytes) -> tuple[list[str], list[list[Any]]]:
    try:
        doc = json.loads(raw)
        return [str(c) for c in doc["columns"]], [list(r) for r in doc["data"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(422, f"the table file {name} cannot be read: {exc}") from None


def parse(digest: str, raw: bytes) -> tuple[list[str], list[list[Any]]]:
    """A table file's bytes (from a blob store), cached by their content hash like ``load``."""
    with _LOCK:
        hit = _CACHE.get(digest)
    if hit is not None:
        return hit
    out = _decode(digest[:12], raw)
    with _LOCK:
        _CACHE[digest] = out
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return out


def _number(cell: Any) -> float | None:
    if isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, (int, float)):
        return float(cell)
    if isinstance(cell, dict) and len(cell) == 1 and jsonvalue.FLOAT in cell:
        try:
            value = jsonvalue.decode(cell)
        except jsonvalue.TaggedValueError:
            return None
        return value if isinstance(value, float) else None
    if isinstance(cell, dict) and cell.get("_type") == "float":  # written before the tags
        return float(cell.get("value", "nan"))
    return None


def _sort_key(cell: Any) -> tuple[int, float, str]:
    num = _number(cell)
    if num is not None and not math.isnan(num):
        return (0, num, "")
    if isinstance(cell, str):
        return (1, 0.0, cell)
    if cell is None or num is not None:  # missing values and NaN sort last
        return (3, 0.0, "")
    return (2, 0.0, json.dumps(cell, sort_keys=True, default=str))


def _text(cell: Any) -> str:
    return cell if isinstance(cell, str) else json.dumps(cell, default=str)


def page(columns: list[str], data: list[list[Any]], offset: int, limit: int, sort: str | None,
         descending: bool, search: str | None, where: dict[str, str]) -> dict[str, Any]:
    rows = list(enumerate(data))
    for col, value in where.items():
        if col not in columns:
            raise ApiError(400, f"unknown table column {col!r}; columns are {columns}")
        i = columns.index(col)
        rows = [(n, r) for n, r in rows if i < len(r) and _text(r[i]) == value]
    if search:
        needle = search.lower()
        rows = [(n, r) for n, r in rows if any(needle in _text(c).lower() for c in r)]
    if sort is not None:
        if sort not in columns:
            raise ApiError(400, f"unknown table column {sort!r} to sort by; columns are {columns}")
        i = columns.index(sort)
        present = [(n, r) for n, r in rows if _sort_key(r[i] if i < len(r) else None)[0] < 3]
        missing = [(n, r) for n, r in rows if _sort_key(r[i] if i < len(r) else None)[0] == 3]
        present.sort(key=lambda nr: _sort_key(nr[1][i]), reverse=descending)
        rows = present + missing
    return {"columns": columns, "total": len(rows), "offset": offset, "limit": limit,
            "rows": [{"index": n, "cells": r} for n, r in rows[offset : offset + limit]]}
