"""Which config values matter for a summary metric (docs/ui.md, "Comparing runs"): for each
config key, its correlation with the metric across runs, and, when scikit-learn is installed,
a random forest's importance (mean decrease in impurity over 100 trees, seeded and fed the runs
in id order, so the same runs give the same table). Computed here rather than in the browser:
the forest is scikit-learn's, and the runs' config and summary are already in the index."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Query

from ..store import queries as q
from ..store import schema as s
from ..store.db import Store
from ..store.jsonutil import loads
from .errors import ApiError

AGGREGATES = {"min", "max", "mean", "first", "last", "best", "copy"}  # as web/src/lib/runs.ts names them
TAGS = {"$float", "$int", "$bytes", "$object"}
MAX_PARAMS = 200
MAX_CATEGORIES = 50
TREES = 100


def flatten(obj: Any, prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Dotted keys as the UI names its columns: nested dicts become ``a.b``; a summary of several
    ``define_metric`` aggregates becomes one key per aggregate, one of a single aggregate stays whole."""
    out = {} if out is None else out
    for k, v in (obj or {}).items():
        path = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v and "_type" not in v and not (len(v) == 1 and next(iter(v)) in TAGS):
            if set(v) <= AGGREGATES and len(v) == 1:
                out[path] = next(iter(v.values()))
            else:
                flatten(v, path, out)
        else:
            out[path] = v
    return out


def number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    return None


def importance(runs: list[dict[str, Any]], target: str) -> dict[str, Any]:
    """The importance table of the config keys of ``runs`` (``{config, summary}`` dicts) for
    the summary key ``target``."""
    import numpy as np

    rows = []
    for r in runs:
        y = number(flatten(r.get("summary") or {}).get(target))
        if y is not None:
            rows.append((flatten(r.get("config") or {}), y))
    if len(rows) < 3:
        raise ApiError(400, f"summary key {target!r} has a number in {len(rows)} of {len(runs)} runs; "
                            "parameter importance needs at least 3")
    ys = np.array([y for _, y in rows])
    columns: dict[str, tuple[str, np.ndarray]] = {}
    present: dict[str, int] = {}
    for cfg, _ in rows:
        for k in cfg:
            if not k.startswith("_"):
                present[k] = present.get(k, 0) + 1
    for k in sorted(present, key=lambda k: (-present[k], k)):
        vals = [cfg.get(k) for cfg, _ in rows]
        nums = [number(v) for v in vals]
        if all(n is not None or v is None for n, v in zip(nums, vals, strict=True)):
            col = np.array([np.nan if n is None else n for n in nums])
            kind = "number"
        else:
            cats = sorted({repr(v) for v in vals if v is not None})
            if len(cats) > MAX_CATEGORIES:
                continue
            code = {c: i for i, c in enumerate(cats)}
            col = np.array([np.nan if v is None else float(code[repr(v)]) for v in vals])
            kind = "category"
        known = ~np.isnan(col)
        if known.sum() < 2 or np.nanmin(col) == np.nanmax(col):
            continue  # constant over these runs: nothing to learn from it
        columns[k] = (kind, col)
        if len(columns) >= MAX_PARAMS:
            break
    params: list[dict[str, Any]] = []
    for k, (kind, col) in columns.items():
        known = ~np.isnan(col)
        corr = None
        if kind == "number" and known.sum() >= 3 and np.std(ys[known]) > 0:
            corr = float(np.corrcoef(col[known], ys[known])[0, 1])
        params.append({"key": k, "kind": kind, "runs": int(known.sum()), "correlation": corr, "importance": None})
    method, note = "correlation", None
    try:
        from sklearn.ensemble import RandomForestRegressor
    except ImportError:
        note = "random-forest importance needs scikit-learn on the server: pip install 'runyard[importance]'"
    else:
        if params:
            x = np.column_stack([columns[p["key"]][1] for p in params])
            med = np.nanmedian(x, axis=0)
            x = np.where(np.isnan(x), med, x)  # a run without the key counts as the median
            forest = RandomForestRegressor(n_estimators=TREES, random_state=0, n_jobs=1).fit(x, ys)
            for p, imp in zip(params, forest.feature_importances_, strict=True):
                p["importance"] = float(imp)
            method = "random_forest"
    params.sort(key=lambda p: (-(p["importance"] or 0), -abs(p["correlation"] or 0), p["key"]))
    return {"target": target, "runs": len(rows), "method": method, "note": note, "params": params}


def install(app: FastAPI, store: Store) -> None:
    @app.get("/api/projects/{project}/importance", tags=["runs"],
             description="Parameter importance for a summary key: per config key, its correlation with the key and a "
                         "random forest's importance (scikit-learn, when installed) over the project's runs, or over "
                         "`runs` (comma-separated ids).")
    def project_importance(project: str, target: str = Query(..., min_length=1, max_length=500),
                           runs: str | None = Query(None, max_length=200_000)) -> dict[str, Any]:
        wanted = {r for r in runs.split(",") if r} if runs else None
        with store.read() as conn:
            ppk = q._project_pk(conn, project)
            rows = conn.execute(sa.select(s.runs.c.run_id, s.runs.c.config, s.runs.c.summary)
                                .where(s.runs.c.project_pk == ppk).order_by(s.runs.c.run_id)).all()
        docs = [{"config": loads(r[1]), "summary": loads(r[2])} for r in rows if wanted is None or r[0] in wanted]
        return importance(docs, target)

