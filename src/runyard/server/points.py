"""Two reads for the workspace's charts (docs/http-api.md).

``/points``: every point of one series as little-endian float64 (``x[n]`` then ``y[n]``): a chart's
"every point" mode reads this instead of the downsampled buckets (docs/http-api.md).

Binary rather than JSON: a million points are 16 MB here and parse at memory speed in the
browser (``new Float64Array``), where JSON would be ~40 MB of text.

``/metrics``: the project's ``define_metric`` declarations, so a chart of ``val/acc`` can default
to the step metric (``epoch``) its runs declared."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query
from fastapi.responses import Response

from ..store import queries as q
from ..store.db import Store


def install(app: FastAPI, store: Store) -> None:
    @app.get("/api/runs/{project}/{run_id}/points", tags=["series"],
             description="Every point of a numeric key, unsampled, as little-endian float64: the n x "
                         "values then the n y values (header X-Points: n). NaN and ±inf are kept.",
             response_class=Response)
    def run_points(project: str, run_id: str, key: str = Query(...),
                   x_axis: str = Query("_step", description="_step, _timestamp or _runtime")) -> Response:
        with store.read() as conn:
            x, y = q.raw_points(conn, project, run_id, key, x_axis)
        body = x.astype("<f8").tobytes() + y.astype("<f8").tobytes()
        return Response(body, media_type="application/octet-stream",
                        headers={"X-Points": str(len(x)), "Cache-Control": "no-cache"})

    @app.get("/api/projects/{project}/metrics", tags=["keys"],
             description="define_metric declarations of the project's runs: name (key or glob), "
                         "step_metric, and how many runs declare it.")
    def project_metrics(project: str) -> dict[str, Any]:
        with store.read() as conn:
            return {"metrics": q.metric_definitions(conn, project)}
