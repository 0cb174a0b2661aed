"""Parsed run filters and orders (``runyard.filters``) compiled to SQL conditions on ``runs``.

Config, summary and tags live in ``run_fields`` (one row per flattened value: ``num`` for
numbers, ``text`` for strings and the JSON of anything else), so a condition on them is an
``EXISTS`` on that run's rows. ``$regex`` runs on RE2 in both databases' place: SQLite calls the
``runyard_regexp`` function ``Store`` registers (RE2, linear time), PostgreSQL uses its own
``~`` under a statement timeout (``REGEX_TIMEOUT_MS``).
"""

from __future__ import annotations

import json
import math
from typing import Any

import sqlalchemy as sa

from .. import filters as f
from ..jsonvalue import dumps
from . import schema as s

REGEX_TIMEOUT_MS = 5_000

COLUMNS: dict[str, sa.ColumnElement[Any]] = {
    "id": s.runs.c.run_id, "run_id": s.runs.c.run_id, "name": s.runs.c.run_id,
    "display_name": s.runs.c.name, "state": s.runs.c.state, "created_at": s.runs.c.created_at,
    "updated_at": s.runs.c.updated_at, "runtime": s.runs.c.runtime, "group": s.runs.c.group_name,
    "job_type": s.runs.c.job_type, "user": s.runs.c.user_name, "last_step": s.runs.c.last_step, "rows": s.runs.c.rows,
}


def field_name(path: str) -> str | None:
    """The ``run_fields.field`` of a canonical path, or None for a run column."""
    if path.startswith("config."):
        return path
    if path.startswith("summary_metrics."):
        return "summary." + path[len("summary_metrics."):]
    if path == "tags":
        return "tags"
    return None


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float))


def _regexp(col: Any, pattern: str, dialect: str) -> sa.ColumnElement[bool]:
    if dialect == "sqlite":
        return sa.func.runyard_regexp(pattern, col) == 1
    matched: sa.ColumnElement[bool] = col.regexp_match(pattern)
    return matched


def _op(num: Any, text: Any, cond: f.Cond, dialect: str) -> sa.ColumnElement[bool]:
    op, v = cond.op, cond.arg
    if op == "$in":
        return sa.or_(sa.false(), *[_op(num, text, f.Cond(cond.path, "$eq", x), dialect) for x in v])
    if op == "$regex":
        return _regexp(text, v, dialect)
    if v is None:
        return sa.and_(num.is_(None), text.is_(None))
    arg: Any
    if isinstance(v, float) and not math.isfinite(v):  # only $eq gets here: stored as its tag
        col, arg = text, dumps(v)
    elif _is_num(v):
        col, arg = num, float(v)
    elif isinstance(v, str):
        col, arg = text, v
    else:
        col, arg = text, json.dumps(v, separators=(",", ":"))
    out: sa.ColumnElement[bool] = {
        "$eq": col == arg, "$gt": col > arg, "$gte": col >= arg, "$lt": col < arg, "$lte": col <= arg,
    }[op]
    return out


def _cond(cond: f.Cond, dialect: str) -> sa.ColumnElement[bool]:
    field = field_name(cond.path)
    if field is None:
        col = COLUMNS[cond.path]
        if cond.op == "$exists":
            return sa.true() if cond.arg else sa.false()
        numeric = f.COLUMNS[cond.path] == "number"
        return _op(col if numeric else sa.null(), sa.null() if numeric else col, cond, dialect)
    names = [field]
    if field.startswith("config.") and field.endswith(".value") and field.count(".") > 1:
        names.append(field[: -len(".value")])  # wandb's "config.lr.value"
    rf = s.run_fields.alias()
    named = rf.c.field == names[0] if len(names) == 1 else rf.c.field.in_(names)
    base = sa.select(sa.literal(1)).where(rf.c.run_pk == s.runs.c.pk, named)
    if cond.op == "$exists":
        return sa.exists(base) if cond.arg else sa.not_(sa.exists(base))
    return sa.exists(base.where(_op(rf.c.num, rf.c.text, cond, dialect)))


def to_sql(node: f.Node, dialect: str) -> sa.ColumnElement[bool]:
    """The SQL condition of a parsed filter."""
    if isinstance(node, f.Cond):
        return _cond(node, dialect)
    if isinstance(node, f.Not):
        return sa.not_(to_sql(node.node, dialect))
    if node.op == "and":
        return sa.and_(sa.true(), *[to_sql(n, dialect) for n in node.nodes])
    return sa.or_(sa.false(), *[to_sql(n, dialect) for n in node.nodes])


def has_regex(node: f.Node) -> bool:
    if isinstance(node, f.Cond):
        return node.op == "$regex"
    if isinstance(node, f.Not):
        return has_regex(node.node)
    return any(has_regex(n) for n in node.nodes)


def order_by(order: str | None) -> list[sa.ColumnElement[Any]]:
    """``"-summary_metrics.acc,+created_at"`` as ORDER BY terms (missing values last)."""
    terms: list[sa.ColumnElement[Any]] = []
    for path, desc in f.parse_order(order or "-created_at"):
        field = field_name(path)
        if field is None:
            cols: list[Any] = [COLUMNS[path]]
        else:
            rf = s.run_fields.alias()
            base = sa.select(rf.c.num).where(rf.c.run_pk == s.runs.c.pk, rf.c.field == field).limit(1)
            cols = [base.scalar_subquery(), base.with_only_columns(rf.c.text).scalar_subquery()]
        for col in cols:
            terms.append(sa.nulls_last(col.desc() if desc else col.asc()))
    terms.append(s.runs.c.pk.asc())  # a total order: pages never overlap
    return terms
