"""wandb's Mongo-style run filters and orders: parsed once into a small tree, then either compiled
to SQL by the index (``store/filter_sql.py``) or evaluated here on a run document where no index
exists (``Api(root)``). Both read the same tree, so they accept and refuse the same filters
(docs/http-api.md, "Runs: filters, orders, search").

A run document is ``{"id", "name" (the id, as wandb), "display_name", "state", "tags", "group",
"job_type", "user", "created_at" (unix seconds), "runtime", "config": {...}, "summary_metrics": {...}}``;
dotted paths reach into nested dicts (``config.optimizer.lr``); ``config.lr.value`` is accepted
as wandb writes it.

Limits keep one request from holding a worker: at most ``MAX_DEPTH`` levels of nesting,
``MAX_NODES`` conditions and ``MAX_IN`` values in one ``$in``; ``$regex`` runs on RE2
(``google-re2``, linear time in the text) when it is installed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import jsonvalue

MAX_DEPTH = 32
MAX_NODES = 2_000
MAX_IN = 10_000
MAX_PATTERN = 1_000

# Columns of a run that filters and orders name directly; the value is its kind.
COLUMNS = {
    "id": "text", "run_id": "text", "name": "text", "display_name": "text", "state": "text",
    "group": "text", "job_type": "text", "user": "text", "created_at": "number", "updated_at": "number",
    "runtime": "number", "last_step": "number", "rows": "number",
}
OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex", "$exists", "$not")


class FilterError(ValueError):
    """A malformed filter or order, with what was wrong."""


@dataclass(frozen=True)
class Cond:
    """``path op arg``: op is one of $eq $gt $gte $lt $lte $in $regex $exists (negations are Not)."""

    path: str
    op: str
    arg: Any


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    nodes: tuple[Node, ...]


Node = Cond | Not | BoolOp
TRUE = BoolOp("and", ())


def canonical_path(path: str) -> str:
    """``summary.x`` → ``summary_metrics.x``; a column name as it is; else ``FilterError``."""
    if path.startswith("summary."):
        return "summary_metrics." + path[len("summary."):]
    if path.startswith(("config.", "summary_metrics.")) and len(path.split(".", 1)[1]) > 0:
        return path
    if path == "tags" or path in COLUMNS:
        return path
    raise FilterError(f"unknown field {path!r}: use config.<key>, summary_metrics.<key>, tags or one of "
                      f"{sorted(COLUMNS)}")


def parse(filters: Any) -> Node:
    """The tree of a Mongo-style filter (``None`` or ``{}``: every run), or ``FilterError``."""
    if filters is None:
        return TRUE
    count = [0]
    return _parse(filters, 0, count)


def _bump(count: list[int], depth: int) -> None:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise FilterError(f"the filter holds more than {MAX_NODES} conditions")
    if depth > MAX_DEPTH:
        raise FilterError(f"the filter is nested more than {MAX_DEPTH} levels deep")


def _parse(flt: Any, depth: int, count: list[int]) -> Node:
    _bump(count, depth)
    if not isinstance(flt, dict):
        raise FilterError(f"a filter must be a JSON object, got {type(flt).__name__}")
    parts: list[Node] = []
    for key, value in flt.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(value, list):
                raise FilterError(f"{key} needs a list of filters, got {_short(value)}")
            subs = tuple(_parse(x, depth + 1, count) for x in value)
            parts.append(BoolOp("and", subs) if key == "$and" else
                         BoolOp("or", subs) if key == "$or" else Not(BoolOp("or", subs)))
        elif not isinstance(key, str) or key.startswith("$"):
            raise FilterError(f"unknown operator {key!r} at the top of a filter; use $and, $or, $nor or a field path")
        else:
            parts.append(_field(canonical_path(key), value, depth + 1, count))
    return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))


def _field(path: str, cond: Any, depth: int, count: list[int]) -> Node:
    _bump(count, depth)
    if isinstance(cond, dict) and len(cond) == 1 and next(iter(cond)) in jsonvalue.TAGS:
        cond = {"$eq": cond}  # a tagged value ({"$float": "NaN"}), not an operator
    is_ops = isinstance(cond, dict) and cond and all(isinstance(k, str) and k.startswith("$") for k in cond)
    ops = cond if is_ops else {"$eq": cond}
    parts: list[Node] = []
    for op, arg in ops.items():
        if op == "$not":
            parts.append(Not(_field(path, arg, depth + 1, count)))
        elif op in ("$ne", "$nin"):
            parts.append(Not(_cond(path, "$eq" if op == "$ne" else "$in", arg)))
        elif op in OPERATORS:
            parts.append(_cond(path, op, arg))
        else:
            raise FilterError(f"unknown operator {op!r}; supported: {', '.join(OPERATORS)}")
    return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))


def _cond(path: str, op: str, arg: Any) -> Cond:
    try:
        arg = jsonvalue.decode(arg, f"the {op} argument of {path}")
    except jsonvalue.TaggedValueError as exc:
        raise FilterError(str(exc)) from None
    if path in ("created_at", "updated_at"):
        arg = [_time_arg(path, x) for x in arg] if isinstance(arg, list) else _time_arg(path, arg)
    if op in ("$eq", "$gt", "$gte", "$lt", "$lte"):
        if arg is None and op != "$eq":
            raise FilterError(f"{op} needs a number or a string, got null")
        if op != "$eq" and isinstance(arg, float) and not math.isfinite(arg):
            raise FilterError(f"{op}: NaN and infinity cannot be compared")
        if op != "$eq" and isinstance(arg, (list, dict)):
            raise FilterError(f"{op} needs a number or a string, got {_short(arg)}")
    elif op == "$in":
        if not isinstance(arg, list):
            raise FilterError(f"$in/$nin need a list, got {_short(arg)}")
        if len(arg) > MAX_IN:
            raise FilterError(f"$in/$nin accept at most {MAX_IN} values, got {len(arg)}")
        arg = tuple(arg)
    elif op == "$regex":
        compile_pattern(arg)
    return Cond(path, op, arg)


def _time_arg(path: str, v: Any) -> Any:
    if isinstance(v, str):
        try:
            return dt.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise FilterError(f"{path} needs an ISO 8601 time or unix seconds, got {v!r}") from None
    return v


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


# --- regular expressions ----------------------------------------------------------------------


@lru_cache(maxsize=256)
def compile_pattern(pattern: Any) -> Callable[[str], bool]:
    """A search function for ``pattern``: RE2 (linear time) when ``google-re2`` is installed,
    else Python's ``re`` (only for ``Api(root)`` in the user's own process: the server extra
    installs RE2, and ``store/filter_sql.py`` refuses to run a regex without it)."""
    if not isinstance(pattern, str):
        raise FilterError(f"$regex needs a string pattern, got {_short(pattern)}")
    if len(pattern) > MAX_PATTERN:
        raise FilterError(f"$regex patterns are at most {MAX_PATTERN} characters, got {len(pattern)}")
    re2 = re2_module()
    if re2 is not None:
        options = re2.Options()
        options.log_errors = False
        try:
            compiled = re2.compile(pattern, options)
        except re2.error as e:
            msg = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
            raise FilterError(f"$regex {pattern!r} is not a valid regular expression for RE2 ({msg}; "
                              "back-references and look-arounds are not supported)") from None
        return lambda text: compiled.search(text) is not None
    try:
        py = re.compile(pattern)
    except re.error as e:
        raise FilterError(f"$regex {pattern!r} is not a valid regular expression: {e}") from None
    return lambda text: py.search(text) is not None


def re2_module() -> Any:
    """The ``re2`` module of google-re2, or None when it is not installed."""
    try:
        import re2  # type: ignore[import-untyped]
    except ImportError:
        return None
    return re2


# --- evaluation on a run document ---------------------------------------------------------------

_MISSING = object()


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


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float))


def _scalar_eq(value: Any, arg: Any) -> bool:
    if _is_num(arg):  # numbers (bools as 0/1) compare with numbers, as the index does
        return _is_num(value) and float(value) == float(arg) or (
            isinstance(arg, float) and math.isnan(arg) and isinstance(value, float) and math.isnan(value))
    if arg is None or isinstance(arg, str):
        return type(value) is type(arg) and bool(value == arg)
    return bool(value == arg)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda v, a: v > a, "$gte": lambda v, a: v >= a, "$lt": lambda v, a: v < a, "$lte": lambda v, a: v <= a,
}


def _compare(value: Any, op: str, arg: Any) -> bool:
    if _is_num(arg) and _is_num(value):
        v = float(value)
        return not math.isnan(v) and _ORDER[op](v, float(arg))
    if isinstance(arg, str) and isinstance(value, str):
        return _ORDER[op](value, arg)
    return False


def _test(value: Any, cond: Cond) -> bool:
    op, arg = cond.op, cond.arg
    if op == "$exists":
        return (value is not _MISSING) == bool(arg)
    if value is _MISSING:
        return False
    if isinstance(value, list) and (cond.path == "tags" or not isinstance(arg, list) or op != "$eq"):
        return any(_test(v, cond) for v in value)  # an array matches when one element does
    if op == "$eq":
        return _scalar_eq(value, arg)
    if op == "$in":
        return any(_scalar_eq(value, a) for a in arg)
    if op == "$regex":
        return isinstance(value, str) and compile_pattern(arg)(value)
    return _compare(value, op, arg)


def evaluate(node: Node, doc: dict[str, Any]) -> bool:
    """Whether the run document ``doc`` satisfies the parsed filter ``node``."""
    if isinstance(node, Cond):
        return _test(get_path(doc, node.path), node)
    if isinstance(node, Not):
        return not evaluate(node.node, doc)
    if node.op == "and":
        return all(evaluate(n, doc) for n in node.nodes)
    return any(evaluate(n, doc) for n in node.nodes)


def matches(doc: dict[str, Any], filters: Any) -> bool:
    """Whether ``doc`` satisfies the Mongo-style ``filters``."""
    return evaluate(parse(filters), doc)


# --- orders -------------------------------------------------------------------------------------


def parse_order(order: str | Sequence[str] | None) -> list[tuple[str, bool]]:
    """``"-summary_metrics.acc,+created_at"`` → ``[("summary_metrics.acc", True), ("created_at",
    False)]`` (True: descending); paths are checked as filters' are."""
    if not order:
        return []
    items = order.split(",") if isinstance(order, str) else list(order)
    out = []
    for item in items:
        if not isinstance(item, str) or not item.strip().strip("+-"):
            if isinstance(item, str) and not item.strip():
                continue
            raise FilterError(f"order must look like '+created_at' or '-summary_metrics.acc', got {item!r}")
        item = item.strip()
        out.append((canonical_path(item.lstrip("+-")), item.startswith("-")))
    return out


def sort_docs(docs: list[dict[str, Any]], order: str | Sequence[str] | None) -> list[dict[str, Any]]:
    """Sort by each key in turn; runs missing a key (or holding NaN) come last either way."""
    out = list(docs)
    for path, descending in reversed(parse_order(order)):
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
    if isinstance(v, (bool, int, float)):
        return (0, float(v))
    if isinstance(v, str):
        return (1, v)
    return (2, repr(v))
