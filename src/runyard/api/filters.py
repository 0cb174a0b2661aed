"""wandb's Mongo-style run filters and orders, evaluated on a run document (docs/http-api.md,
"Runs: filters, orders, search").

A run document is ``{"id", "name", "display_name", "state", "tags", "group", "job_type",
"created_at" (ISO 8601 UTC), "config": {...}, "summary_metrics": {...}}``; dotted paths reach into
nested dicts (``config.optimizer.lr``); ``config.lr.value`` is accepted as wandb writes it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

_MISSING = object()


class FilterError(ValueError):
    """A malformed filter or order, with what was wrong."""


def get_path(doc: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, or ``_MISSING``."""
    node: Any = doc
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif part == "value" and i == len(parts) - 1 and i > 1:
            return node  # wandb's "config.lr.value"
        elif isinstance(node, dict) and ".".join(parts[i:]) in node:
            return node[".".join(parts[i:])]  # keys that themselves hold dots
        else:
            return _MISSING
    return node


def _comparable(a: Any, b: Any) -> bool:
    num = (int, float)
    return (isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool) and not isinstance(b, bool)) or (
        isinstance(a, str) and isinstance(b, str)
    )


def _cmp(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(value: Any, arg: Any) -> bool:
        if value is _MISSING or not _comparable(value, arg):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        return op(value, arg)

    return check


def _eq(value: Any, arg: Any) -> bool:
    if isinstance(value, list) and not isinstance(arg, list):
        return arg in value  # Mongo: an array field matches when it contains the value
    return value is not _MISSING and value == arg


def _in(value: Any, arg: Any) -> bool:
    if not isinstance(arg, (list, tuple)):
        raise FilterError(f"$in/$nin need a list, got {arg!r}")
    if isinstance(value, list):
        return any(v in arg for v in value)
    return value is not _MISSING and value in arg


def _regex(value: Any, arg: Any) -> bool:
    if not isinstance(arg, str):
        raise FilterError(f"$regex needs a string pattern, got {arg!r}")
    try:
        pattern = re.compile(arg)
    except re.error as e:
        raise FilterError(f"$regex {arg!r} is not a valid regular expression: {e}") from None
    if isinstance(value, list):
        return any(isinstance(v, str) and pattern.search(v) for v in value)
    return isinstance(value, str) and pattern.search(value) is not None


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": _eq,
    "$ne": lambda v, a: not _eq(v, a),
    "$gt": _cmp(lambda v, a: v > a),
    "$gte": _cmp(lambda v, a: v >= a),
    "$lt": _cmp(lambda v, a: v < a),
    "$lte": _cmp(lambda v, a: v <= a),
    "$in": _in,
    "$nin": lambda v, a: not _in(v, a),
    "$regex": _regex,
    "$exists": lambda v, a: (v is not _MISSING) == bool(a),
}


def matches(doc: dict[str, Any], flt: dict[str, Any] | None) -> bool:
    """Whether ``doc`` satisfies the Mongo-style filter ``flt``."""
    if not flt:
        return True
    if not isinstance(flt, dict):
        raise FilterError(f"a filter must be a dict, got {type(flt).__name__}")
    for key, cond in flt.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(cond, list):
                raise FilterError(f"{key} needs a list of filters, got {cond!r}")
            results = (matches(doc, c) for c in cond)
            ok = all(results) if key == "$and" else (not any(results) if key == "$nor" else any(results))
            if not ok:
                return False
        elif key.startswith("$"):
            raise FilterError(f"unknown filter operator {key!r}; use $and, $or, $nor or a field path")
        elif not _match_field(get_path(doc, key), cond):
            return False
    return True


def _match_field(value: Any, cond: Any) -> bool:
    if isinstance(cond, dict) and cond and all(isinstance(k, str) and k.startswith("$") for k in cond):
        for op, arg in cond.items():
            if op == "$not":
                if _match_field(value, arg):
                    return False
                continue
            fn = _OPS.get(op)
            if fn is None:
                raise FilterError(f"unknown operator {op!r}; supported: {', '.join(sorted(_OPS))}, $not")
            if not fn(value, arg):
                return False
        return True
    return _eq(value, cond)


def parse_order(order: str | Sequence[str] | None) -> list[tuple[str, bool]]:
    """``"-summary_metrics.acc"`` → ``[("summary_metrics.acc", True)]`` (True: descending)."""
    if not order:
        return []
    items = [order] if isinstance(order, str) else list(order)
    out = []
    for item in items:
        if not isinstance(item, str) or not item.strip("+-"):
            raise FilterError(f"order must look like '+created_at' or '-summary_metrics.acc', got {item!r}")
        out.append((item.lstrip("+-"), item.startswith("-")))
    return out


def sort_docs(docs: list[dict[str, Any]], order: str | Sequence[str] | None) -> list[dict[str, Any]]:
    """Sort by each key in turn; runs missing a key (or holding NaN) come last either way."""
    keys = parse_order(order)
    out = list(docs)
    for path, descending in reversed(keys):
        present, absent = [], []
        for d in out:
            v = get_path(d, path)
            if v is _MISSING or v is None or (isinstance(v, float) and math.isnan(v)):
                absent.append(d)
            else:
                present.append(d)
        present.sort(key=lambda d: _sort_key(get_path(d, path)), reverse=descending)
        out = present + absent
    return out


def _sort_key(v: Any) -> tuple[int, Any]:
    if isinstance(v, bool):
        return (0, int(v))
    if isinstance(v, (int, float)):
        return (1, v)
    if isinstance(v, str):
        return (2, v)
    return (3, repr(v))
