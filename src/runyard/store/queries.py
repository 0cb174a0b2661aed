"""The read side of the index: runs (filter, sort, page), keys, series, media, histograms, output.

Every function takes a connection from ``Store.read()`` and returns plain JSON-able data. Errors
a caller can fix (an unknown run or key, a malformed filter) raise ``QueryError`` with a status.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import msgpack
import numpy as np
import sqlalchemy as sa

from ..filters import FilterError, re2_module
from ..filters import parse as parse_filter
from ..jsonvalue import encode_float
from . import filter_sql as fsql
from . import schema as s
from . import series as ser
from .jsonutil import jsonable, loads


class QueryError(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --- runs -----------------------------------------------------------------------------------


def compile_order(order: str | None) -> list[sa.ColumnElement[Any]]:
    """``"-summary_metrics.acc,+created_at"`` as ORDER BY terms (missing values last)."""
    try:
        return fsql.order_by(order)
    except FilterError as exc:
        raise QueryError(str(exc)) from None


def _project_pk(conn: sa.Connection, project: str) -> int:
    pk = conn.execute(sa.select(s.projects.c.pk).where(s.projects.c.name == project)).scalar()
    if pk is None:
        raise QueryError(f"unknown project {project!r}", 404)
    return int(pk)


def run_doc(row: sa.Row[Any], project: str, full: bool = False) -> dict[str, Any]:
    m = row._mapping
    doc: dict[str, Any] = {
        "id": m["run_id"], "project": project, "name": m["name"], "state": m["state"],
        "created_at": m["created_at"], "updated_at": m["updated_at"], "ended_at": m["ended_at"],
        "heartbeat_at": m["heartbeat_at"], "runtime": m["runtime"], "last_step": m["last_step"],
        "rows": m["rows"], "exit_code": m["exit_code"], "error": m["error"], "group": m["group_name"],
        "job_type": m["job_type"], "notes": m["notes"], "user": m["user_name"], "tags": loads(m["tags"]),
        "config": loads(m["config"]), "summary": loads(m["summary"]), "flags": loads(m["flags"]),
        "seq": m["seq"],
    }
    if full:
        doc["metadata"] = loads(m["metadata"])
        doc["path"] = m["path"]
    return doc


def projects(conn: sa.Connection) -> list[dict[str, Any]]:
    q = (sa.select(s.projects.c.name, s.projects.c.entity, sa.func.count(s.runs.c.pk),
                   sa.func.max(s.runs.c.updated_at))
         .select_from(s.projects.outerjoin(s.runs, s.runs.c.project_pk == s.projects.c.pk))
         .group_by(s.projects.c.pk, s.projects.c.name, s.projects.c.entity).order_by(s.projects.c.name))
    return [{"name": r[0], "entity": r[1], "runs": int(r[2]), "updated_at": r[3]} for r in conn.execute(q)]


# The fields of a run in the runs list, and the runs column each is read from; the JSON columns
# are stored in the answer's encoding (``jsonutil``) and copied into it as they are.
RUN_FIELDS = {
    "id": "run_id", "name": "name", "state": "state", "created_at": "created_at", "updated_at": "updated_at",
    "ended_at": "ended_at", "heartbeat_at": "heartbeat_at", "runtime": "runtime", "last_step": "last_step",
    "rows": "rows", "exit_code": "exit_code", "error": "error", "group": "group_name", "job_type": "job_type",
    "notes": "notes", "user": "user_name", "tags": "tags", "config": "config", "summary": "summary", "flags": "flags",
    "seq": "seq",
}
_JSON_FIELDS = frozenset({"tags", "config", "summary", "flags"})


def run_fields(fields: str | None) -> list[str]:
    """The ``fields`` parameter of the runs list (comma-separated names of ``RUN_FIELDS``; ``id``
    always comes) as the fields to answer, in ``RUN_FIELDS`` order; None or empty: all."""
    if fields is None or not fields.strip():
        return list(RUN_FIELDS)
    asked = {f.strip() for f in fields.split(",") if f.strip()}
    unknown = sorted(asked - set(RUN_FIELDS) - {"project"})
    if unknown:
        raise QueryError(f"fields names {', '.join(map(repr, unknown))}, which runs do not have; "
                         f"a run's fields are {', '.join(RUN_FIELDS)}")
    return [f for f in RUN_FIELDS if f in asked or f == "id"]


def _runs_page(conn: sa.Connection, project: str, filters: Any, order: str | None, limit: int, offset: int,
               search: str | None, columns: Sequence[Any]) -> tuple[int, Sequence[sa.Row[Any]]]:
    ppk = _project_pk(conn, project)
    try:
        node = parse_filter(filters)
    except FilterError as exc:
        raise QueryError(str(exc)) from None
    dialect = conn.dialect.name
    if fsql.has_regex(node):
        if re2_module() is None:
            raise QueryError("$regex needs RE2 on the server: pip install google-re2 (the server extra)")
        if dialect == "postgresql":  # PostgreSQL runs its own regex engine: bound its time
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {fsql.REGEX_TIMEOUT_MS}")
    where = sa.and_(s.runs.c.project_pk == ppk, fsql.to_sql(node, dialect))
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = sa.and_(where, sa.or_(sa.func.lower(s.runs.c.name).like(pattern, escape="\\"),
                                      sa.func.lower(s.runs.c.run_id).like(pattern, escape="\\")))
    total = int(conn.execute(sa.select(sa.func.count()).select_from(s.runs).where(where)).scalar_one())
    terms = compile_order(order)
    if not offset:
        return total, conn.execute(sa.select(*columns).where(where).order_by(*terms).limit(limit)).all()
    # A later page: the rows it skips are found by their keys alone, then its own rows read (the
    # engines read every column of a skipped row, and a run's summary can be tens of kB)
    page = sa.select(s.runs.c.pk).where(where).order_by(*terms).limit(limit).offset(offset).subquery()
    return total, conn.execute(sa.select(*columns).join_from(s.runs, page, page.c.pk == s.runs.c.pk)
                               .order_by(*terms)).all()


def list_runs(conn: sa.Connection, project: str, filters: Any = None, order: str | None = None,
              limit: int = 100, offset: int = 0, search: str | None = None) -> dict[str, Any]:
    total, rows = _runs_page(conn, project, filters, order, limit, offset, search, [s.runs])
    return {"total": total, "offset": offset, "limit": limit, "runs": [run_doc(r, project) for r in rows]}


def list_runs_json(conn: sa.Connection, project: str, filters: Any = None, order: str | None = None,
                   limit: int = 100, offset: int = 0, search: str | None = None,
                   fields: list[str] | None = None) -> str:
    """``list_runs`` as JSON text, with only ``fields`` of each run (``run_fields``). The stored
    JSON of config, summary, tags and flags is copied in, not parsed and encoded again: a page of
    1,000 runs with 1,000 summary keys each is 36 MB, which parsing and encoding again cost
    seconds."""
    fields = fields or list(RUN_FIELDS)
    cols = [s.runs.c[RUN_FIELDS[f]] for f in fields]
    total, rows = _runs_page(conn, project, filters, order, limit, offset, search, cols)
    dump = json.dumps
    heads = [dump(f) + ":" for f in fields]
    raw = [f in _JSON_FIELDS for f in fields]
    proj = '"project":' + dump(project)
    parts = []
    for row in rows:
        items = [proj]
        for head, is_raw, value in zip(heads, raw, row, strict=True):
            items.append(head + (value if is_raw else dump(value)))
        parts.append("{" + ",".join(items) + "}")
    return (f'{{"total":{total},"offset":{offset},"limit":{limit},"runs":[' + ",".join(parts) + "]}")


def run_row(conn: sa.Connection, project: str, run_id: str) -> sa.Row[Any]:
    ppk = _project_pk(conn, project)
    row = conn.execute(sa.select(s.runs).where(s.runs.c.project_pk == ppk, s.runs.c.run_id == run_id)).first()
    if row is None:
        raise QueryError(f"unknown run {project}/{run_id}", 404)
    return row


def run_pk(conn: sa.Connection, project: str, run_id: str) -> int:
    return int(run_row(conn, project, run_id)._mapping["pk"])


# --- keys -----------------------------------------------------------------------------------


def run_keys(conn: sa.Connection, rpk: int) -> list[dict[str, Any]]:
    points = {r[0]: int(r[1]) for r in conn.execute(
        sa.select(s.series.c.key, s.series.c.n).where(s.series.c.run_pk == rpk))}
    return [{"key": r[0], "kinds": loads(r[1]), "points": points.get(r[0], 0)}
            for r in conn.execute(sa.select(s.run_keys.c.key, s.run_keys.c.kinds)
                                  .where(s.run_keys.c.run_pk == rpk).order_by(s.run_keys.c.key))]


def project_keys(conn: sa.Connection, project: str) -> list[dict[str, Any]]:
    ppk = _project_pk(conn, project)
    # ingest keeps the (key, kinds) pairs of a project's runs counted (``derived``): a project of
    # 1,000 runs x 1,000 keys reads 1,000 rows here, not a million; merged in the order runs
    # first logged them
    pk = s.project_keys.c
    q = (sa.select(pk.key, pk.kinds, pk.runs).where(pk.project_pk == ppk, pk.runs > 0)
         .order_by(pk.first_run, pk.key, pk.kinds))
    merged: dict[str, tuple[list[str], int]] = {}
    for key, kinds, n in conn.execute(q):
        known, count = merged.get(key, ([], 0))
        for k in loads(kinds):
            if k not in known:
                known.append(k)
        merged[key] = (known, count + int(n))
    return [{"key": k, "kinds": v[0], "runs": v[1]} for k, v in sorted(merged.items())]


# --- series ---------------------------------------------------------------------------------

MAX_POINTS = 10_000


_num = encode_float


def series_query(conn: sa.Connection, project: str, run_ids: list[str], key: str, x_axis: str = "_step",
                 x_range: tuple[float, float] | None = None, max_points: int = 1000) -> list[dict[str, Any]]:
    """Per run, the chart series of ``key`` against ``x_axis`` (see ``runyard.store.series``)."""
    if not 1 <= max_points <= MAX_POINTS:
        raise QueryError(f"max_points must be between 1 and {MAX_POINTS}, got {max_points}")
    if x_range is not None:
        if not all(math.isfinite(v) for v in x_range):
            raise QueryError("x range bounds must be finite numbers")
        if x_range[0] > x_range[1]:
            raise QueryError(f"x range is reversed: {x_range[0]} > {x_range[1]}")
    out = []
    # the runs and their series rows in one query each (a chart of 100 runs asked 200 before)
    ppk = _project_pk(conn, project)
    pks: dict[str, int] = {}
    for i in range(0, len(run_ids), 500):
        part = run_ids[i:i + 500]
        pks.update((r[1], int(r[0])) for r in conn.execute(sa.select(s.runs.c.pk, s.runs.c.run_id).where(
            s.runs.c.project_pk == ppk, s.runs.c.run_id.in_(part))))
    rows: dict[int, Any] = {}
    wanted = [pks[r] for r in run_ids if r in pks]
    for i in range(0, len(wanted), 500):
        rows.update((int(r[0]), r[1:]) for r in conn.execute(
            sa.select(s.series.c.run_pk, s.series.c.pk, s.series.c.n, s.series.c.mono)
            .where(s.series.c.run_pk.in_(wanted[i:i + 500]), s.series.c.key == key)))
    held = ser.tails_of(conn, [int(r[0]) for r in rows.values()])
    for run_id in run_ids:
        rpk = pks.get(run_id)
        if rpk is None:
            raise QueryError(f"unknown run {project}/{run_id}", 404)
        row = rows.get(rpk)
        if row is None:
            known = conn.execute(sa.select(s.run_keys.c.kinds).where(
                s.run_keys.c.run_pk == rpk, s.run_keys.c.key == key)).scalar()
            if known is None:
                raise QueryError(f"run {project}/{run_id} has no key {key!r}", 404)
            raise QueryError(f"key {key!r} of run {project}/{run_id} holds no numbers "
                             f"(its values are {', '.join(loads(known))})", 400)
        x_series = None
        if x_axis not in ser.AXES:
            xrow = conn.execute(sa.select(s.series.c.pk, s.series.c.n).where(
                s.series.c.run_pk == rpk, s.series.c.key == x_axis)).first()
            if xrow is None:
                raise QueryError(f"run {project}/{run_id} has no numeric key {x_axis!r} for the x axis", 404)
            x_series = (int(xrow[0]), int(xrow[1]))
        r = ser.query(conn, int(row[0]), int(row[1]), int(row[2]), x_axis, x_range, max_points, x_series, held)
        out.append(result_doc(run_id, key, x_axis, r))
    return out


RAW_POINTS_LIMIT = 20_000_000


def raw_points(conn: sa.Connection, project: str, run_id: str, key: str,
               x_axis: str = "_step") -> tuple[Any, Any]:
    """Every point of a series on a built-in axis, in log order: ``(x, y)`` float64 arrays.

    What a chart's "every point" mode draws (the tiers make the same picture; this is the
    reference, and what a user asks for to be sure)."""
    if x_axis not in ser.AXES:
        raise QueryError(f"raw points are served on _step, _timestamp or _runtime, not {x_axis!r}")
    rpk = run_pk(conn, project, run_id)
    row = conn.execute(sa.select(s.series.c.pk, s.series.c.n)
                       .where(s.series.c.run_pk == rpk, s.series.c.key == key)).first()
    if row is None:
        raise QueryError(f"run {project}/{run_id} has no numeric key {key!r}", 404)
    n = int(row[1])
    if n > RAW_POINTS_LIMIT:
        raise QueryError(f"{key!r} of run {project}/{run_id} has {n} points, more than the "
                         f"{RAW_POINTS_LIMIT} served raw; use the series endpoint", 413)
    p = ser.load_points(conn, int(row[0]), 0, n)
    x = {"_step": p.steps.astype(np.float64), "_timestamp": p.ts, "_runtime": p.rt}[x_axis]
    return x, p.values


def metric_definitions(conn: sa.Connection, project: str) -> list[dict[str, Any]]:
    """The ``define_metric`` declarations of a project's runs (``run_metrics``, kept by ingest):
    per name (a key or a ``prefix/*`` glob), its step metric and how many runs declare it."""
    ppk = _project_pk(conn, project)
    m = s.run_metrics.c
    rows = conn.execute(sa.select(m.name, m.step_metric, sa.func.count())
                        .join(s.runs, s.runs.c.pk == m.run_pk).where(s.runs.c.project_pk == ppk)
                        .group_by(m.name, m.step_metric)).all()
    return [{"name": n, "step_metric": sm, "runs": int(c)}
            for n, sm, c in sorted(rows, key=lambda r: (r[0], r[1] or ""))]


def result_doc(run_id: str, key: str, x_axis: str, r: ser.Result) -> dict[str, Any]:
    b = r.b
    has = b.cnt > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(has, b.vsum / np.maximum(b.cnt, 1), np.nan)
    def col(a: Any, mask: Any = None) -> list[Any]:
        a = np.asarray(a, dtype=np.float64)
        # finite values are JSON numbers as they are; only the others are tagged
        vals = a.tolist() if np.isfinite(a).all() else [_num(v) for v in a.tolist()]
        if mask is not None and not mask.all():
            vals = [v if m else None for v, m in zip(vals, mask.tolist(), strict=True)]
        return vals
    return {
        "run": run_id, "key": key, "x_axis": x_axis, "total": r.total, "level": r.level,
        "full_resolution": r.full, "x": col(r.x), "x_last": col(r.x_last),
        "min": col(b.vmin, has), "max": col(b.vmax, has), "mean": col(mean, has),
        "first": col(b.vfirst), "last": col(b.vlast), "count": b.npts.tolist(),
        "nonfinite": b.flags.tolist(),
    }


# --- media, histograms, output -------------------------------------------------------------


def media_steps(conn: sa.Connection, rpk: int, key: str) -> list[int]:
    return [int(r[0]) for r in conn.execute(
        sa.select(s.media.c.step).where(s.media.c.run_pk == rpk, s.media.c.key == key)
        .distinct().order_by(s.media.c.step))]


def x_at_steps(conn: sa.Connection, rpk: int, x_key: str, steps: list[int]) -> list[Any]:
    """The value of the numeric key ``x_key`` at each step (its latest value at or before the
    step; None before its first): what a step slider following ``epoch`` shows."""
    row = conn.execute(sa.select(s.series.c.pk, s.series.c.n).where(
        s.series.c.run_pk == rpk, s.series.c.key == x_key)).first()
    if row is None:
        raise QueryError(f"this run has no numeric key {x_key!r} for the slider to follow", 404)
    p = ser.load_points(conn, int(row[0]), 0, int(row[1]))
    order = np.argsort(p.steps, kind="stable")
    xs, vals = p.steps[order], p.values[order]
    pos = np.searchsorted(xs, np.asarray(steps, dtype=np.int64), side="right") - 1
    return [_num(float(vals[i])) if i >= 0 else None for i in pos.tolist()]


def step_for_x(conn: sa.Connection, rpk: int, key: str, x_key: str, x: float) -> int | None:
    """The last media step of ``key`` whose ``x_key`` value is at most ``x`` (else None)."""
    steps = media_steps(conn, rpk, key)
    best = None
    for step, value in zip(steps, x_at_steps(conn, rpk, x_key, steps), strict=True):
        if isinstance(value, (int, float)) and value <= x:
            best = step
    return best


def media_at(conn: sa.Connection, rpk: int, key: str, step: int | None) -> dict[str, Any]:
    """The media logged under ``key`` at ``step`` (or the nearest earlier step, else the first)."""
    base = sa.select(s.media.c.step).where(s.media.c.run_pk == rpk, s.media.c.key == key)
    found = None
    if step is not None:
        earlier = base.where(s.media.c.step <= step).order_by(s.media.c.step.desc()).limit(1)
        found = conn.execute(earlier).scalar()
    if found is None:
        found = conn.execute(base.order_by(s.media.c.step).limit(1)).scalar()
    if found is None:
        raise QueryError(f"no media logged under key {key!r}", 404)
    rows = conn.execute(sa.select(s.media.c.idx, s.media.c.type, s.media.c.ref).where(
        s.media.c.run_pk == rpk, s.media.c.key == key, s.media.c.step == found)
        .order_by(s.media.c.offset, s.media.c.idx)).all()
    return {"key": key, "step": int(found), "requested_step": step,
            "items": [loads(r[2]) for r in rows]}


def histogram_matrix(conn: sa.Connection, rpk: int, key: str, max_steps: int = 200,
                     bins: int = 64) -> dict[str, Any]:
    """Histograms of ``key`` over steps, rebinned onto one grid: a steps x bins matrix."""
    rows = conn.execute(sa.select(s.hists.c.step, s.hists.c.data).where(
        s.hists.c.run_pk == rpk, s.hists.c.key == key).order_by(s.hists.c.offset)).all()
    if not rows:
        raise QueryError(f"no histograms logged under key {key!r}", 404)
    if len(rows) > max_steps:  # deterministic thinning: evenly spaced, first and last kept
        picks = np.unique(np.round(np.linspace(0, len(rows) - 1, max_steps)).astype(int))
        rows = [rows[i] for i in picks]
    hs = []
    for step, data in rows:
        values, edges = msgpack.unpackb(data, raw=False)
        v = np.asarray(values or [], dtype=np.float64)
        e = np.asarray(edges or [], dtype=np.float64)
        if len(e) == len(v) + 1 and len(v):
            hs.append((int(step), v, e))
    if not hs:
        raise QueryError(f"histograms of key {key!r} hold no bins", 404)
    lo = min(float(e[0]) for _, _, e in hs)
    hi = max(float(e[-1]) for _, _, e in hs)
    if not hi > lo:
        hi = lo + 1.0
    grid = np.linspace(lo, hi, bins + 1)
    matrix = []
    for _, v, e in hs:
        # spread each source bin's count over the grid bins in proportion to the overlap
        cum = np.concatenate(([0.0], np.cumsum(v)))
        matrix.append(np.diff(np.interp(grid, e, cum)).tolist())
    return {"key": key, "steps": [h[0] for h in hs], "bins": grid.tolist(), "counts": matrix}


def output_page(conn: sa.Connection, rpk: int, after: int = -1, limit: int = 1000) -> dict[str, Any]:
    rows = conn.execute(sa.select(s.output.c.offset, s.output.c.ts, s.output.c.stream, s.output.c.text)
                        .where(s.output.c.run_pk == rpk, s.output.c.offset > after)
                        .order_by(s.output.c.offset).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [{"cursor": int(r[0]), "ts": r[1], "stream": "stderr" if r[2] == 2 else "stdout",
                       "text": r[3]} for r in rows],
            "next": int(rows[-1][0]) if rows else after, "more": more}


def changes_since(conn: sa.Connection, seq: int, project: str | None = None) -> list[dict[str, Any]]:
    q = (sa.select(s.runs, s.projects.c.name.label("project_name"))
         .join(s.projects, s.projects.c.pk == s.runs.c.project_pk).where(s.runs.c.seq > seq))
    if project is not None:
        q = q.where(s.projects.c.name == project)
    out = []
    for r in conn.execute(q.order_by(s.runs.c.seq)):
        m = r._mapping
        out.append({"seq": int(m["seq"]), "pk": int(m["pk"]), "project": m["project_name"], "id": m["run_id"],
                    "state": m["state"], "last_step": m["last_step"], "rows": m["rows"],
                    "runtime": m["runtime"], "summary": loads(m["summary"])})
    return out


def max_seq(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(s.runs.c.seq), 0))).scalar_one())


__all__ = ["QueryError", "jsonable"]
