"""The ASGI app: ``create_app(root, store_url)``.

Routes live under ``/api``; ``/openapi.json`` describes them and ``/docs`` renders that. Every
error answers ``{"ok": false, "error": "...", "status": N}`` (``errors.py``). ``/`` and every
other non-API route serve the built web UI (``static.install_ui``, docs/ui.md).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import Body, FastAPI, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from .. import __version__, jsonvalue
from ..log.append import DamagedLogError, RecordTooLargeError, RunLockedError, append_records
from ..log.reader import LOG_NAME, RunFolder
from ..log.records import Kind
from ..log.state import RUNNING
from ..store import queries as q
from ..store import removal
from ..store.changes import ChangeListener, install_trigger, wait_for_change
from ..store.db import Store, default_store_url
from ..store.ingest import Ingestor
from ..store.online import INGEST_THREADS
from . import files, history, importance, points, runinfo, tables, views
from .door import DEFAULT_MAX_BODY, INT64_MAX, DoorMiddleware, document_errors
from .edits import run_fields
from .errors import ApiError, install
from .live import IngestLoop
from .stopping import Stopping, first_of

# How long a stopping server (Ctrl+C, SIGTERM) waits for the requests still open before it ends
# them (the live-event streams end at once: stopping.py)
SHUTDOWN_GRACE_S = 2


def uvicorn_options() -> dict[str, Any]:
    """How `runyard ui`, `runyard demo` and `runyard server` run under uvicorn: the log level of
    ``RUNYARD_LOG_LEVEL`` (default warning) and the grace of a stopping server."""
    return {"log_level": os.environ.get("RUNYARD_LOG_LEVEL", "warning"), "timeout_graceful_shutdown": SHUTDOWN_GRACE_S}


# A team server's answers of this size or more are gzipped for clients that accept it, at a level
# that costs little CPU (1,000 runs' summaries, 36 MB: see docs/team-server.md, "Reading from it").
# `runyard ui` answers on loopback, where compressing only costs time.
GZIP_MIN_BYTES, GZIP_LEVEL = 1024, 1


def create_app(root: str | os.PathLike[str] | None, store_url: str | os.PathLike[str] | None = None, *,
               schema: str | None = None, follow: bool = True, interval: float = 0.25,
               keys: bool = False, blobs: Any = None, allowed_hosts: Iterable[str] = (),
               max_body: int = DEFAULT_MAX_BODY, ingest_threads: int = INGEST_THREADS) -> FastAPI:
    """The API over the runs under ``root``, indexed in ``store_url`` (default: an SQLite file
    in ``<root>/.runyard/``). With ``follow`` a background thread ingests new log records every
    ``interval`` seconds while the app runs (its lifespan), starting at once (``/api/health``
    says ``ingested`` once the first pass is done); without it, the app ingests once at startup.

    ``keys``: every route but health needs an API key or a signed-in session (``auth.py``).
    ``blobs`` (a ``BlobStore``): a team server (``docs/team-server.md``): runs arrive over HTTP
    (``root`` is None), their logs live in the database and their files in ``blobs``; keys are on.
    ``allowed_hosts``: DNS names the ``Host`` header may carry besides ``localhost`` and IP
    addresses; ``max_body``: the largest request body in bytes (``door.py``); ``ingest_threads``:
    a team server's threads applying batches (``store.online.GroupIngest``)."""
    team = blobs is not None
    if team:  # batches and media arrive as request bodies (team.MAX_BLOB_BYTES bounds one file)
        keys, follow, max_body = True, False, max(max_body, 256 << 20)
    root_path = Path(root).resolve() if root is not None else Path("/runyard-team")
    if store_url is None and root is None:
        raise ValueError("a team server needs its database: give store_url")
    store = Store(store_url if store_url is not None else default_store_url(root_path), schema=schema)
    auth = None
    if keys:
        from ..store.db import migration_lock
        from ..store.team_schema import migrate as team_migrate
        from .auth import Auth

        with store.begin() as conn:
            migration_lock(conn)
            team_migrate(conn)
            if team:
                install_trigger(conn)
        auth = Auth(store)
    # live updates of a team server on PostgreSQL: woken by the database (store/changes.py)
    listener = ChangeListener(store) if team and store.dialect == "postgresql" else None
    ingestor = Ingestor(root_path, store)
    loop = IngestLoop(ingestor, interval)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        app.state.stopping.install()
        if team:  # online runs that went silent become crashed (team.Sweeper)
            from .team import Sweeper

            app.state.sweeper = Sweeper(store)
            app.state.sweeper.start()
        app.state.listener = listener
        if listener is not None:
            listener.start()
        if follow:  # the first pass starts at once in the background; the API answers meanwhile
            loop.start()
        else:
            await anyio.to_thread.run_sync(ingestor.ingest_all)
        try:
            yield
        finally:
            loop.stop()
            if team:
                app.state.sweeper.stop()
            if listener is not None:
                listener.stop()
            store.close()
            if blobs is not None:
                blobs.close()

    app = FastAPI(
        title="runyard", version=__version__, lifespan=lifespan,
        description="The HTTP API of runyard: projects, runs, keys, chart series, media, tables, "
                    "histograms, console output, live updates and summary edits. Errors answer "
                    '`{"ok": false, "error": "...", "status": N}`.',
    )
    app.state.store, app.state.ingestor, app.state.root, app.state.loop = store, ingestor, root_path, loop
    app.state.stopping = Stopping()  # the live streams end when the server is asked to stop
    install(app)
    if team:  # answers cross a network: compressed when the client asks (JSON, text; not media)
        from starlette.middleware.gzip import GZipMiddleware

        app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL)
    if auth is not None:
        from .auth import AuthMiddleware

        app.add_middleware(AuthMiddleware, auth=auth)
    # the door is added last, so it is the outermost layer: Host, size and path checks come first
    # (with keys a rebinding page has no key or session cookie, so any Host name may be used)
    app.add_middleware(DoorMiddleware, allowed_hosts=allowed_hosts, max_body=max_body, check_host=not keys)
    document_errors(app, {"/api/runs/{project}/{run_id}/summary": (409,),
                          "/api/runs/{project}/{run_id}/files/{path}": (416,)},
                    everywhere=(401, 403) if keys else ())

    def run_dir(project: str, run_id: str) -> tuple[int, Path, dict[str, Any]]:
        with store.read() as conn:
            row = q.run_row(conn, project, run_id)
        m = row._mapping
        return int(m["pk"]), root_path / m["path"], dict(m)

    # -- projects and runs ----------------------------------------------------------------

    @app.get("/api/health", tags=["server"])
    async def health() -> dict[str, Any]:  # on the event loop: answers while every worker is busy
        return {"ok": True, "version": __version__, "root": None if team else str(root_path),
                "index": store.dialect, "ingest_passes": loop.passes, "ingested": loop.passes > 0 or not follow,
                "keys": keys, "team": team}

    def visible(request: Request) -> frozenset[str] | None:
        user = request.scope.get("state", {}).get("user")
        return getattr(user, "entities", None)

    @app.get("/api/projects", tags=["runs"])
    def list_projects(request: Request) -> dict[str, Any]:
        allowed = visible(request)
        with store.read() as conn:
            return {"projects": [p for p in q.projects(conn) if allowed is None or p["entity"] in allowed]}

    @app.get("/api/projects/{project}/runs", tags=["runs"])
    def list_runs(
        project: str,
        filters: str | None = Query(None, description='wandb Mongo-style filter as JSON, e.g. '
                                    '{"config.lr": {"$gt": 0.01}}'),
        order: str | None = Query(None, description='"-summary_metrics.acc", "+created_at", comma-separated'),
        limit: int = Query(100, ge=1, le=10_000),
        offset: int = Query(0, ge=0, le=INT64_MAX),
        search: str | None = Query(None, description="substring of the run name or id"),
        fields: str | None = Query(None, description="comma-separated fields of each run to answer (id always "
                                   "comes), e.g. id,name,state,config: a first screen that does without the "
                                   "summaries; default: every field"),
    ) -> Response:
        parsed = None
        if filters:
            try:
                parsed = json.loads(filters)
            except ValueError as exc:
                raise ApiError(400, f"filters is not valid JSON: {exc}") from None
            except RecursionError:
                raise ApiError(400, "filters is nested too deeply to read") from None
        wanted = q.run_fields(fields)
        with store.read() as conn:
            body = q.list_runs_json(conn, project, parsed, order, limit, offset, search, wanted)
        return Response(body, media_type="application/json")

    @app.get("/api/projects/{project}/keys", tags=["keys"])
    def project_keys(project: str) -> dict[str, Any]:
        with store.read() as conn:
            return {"keys": q.project_keys(conn, project)}

    @app.get("/api/runs/{project}/{run_id}", tags=["runs"])
    def run_detail(project: str, run_id: str) -> dict[str, Any]:
        with store.read() as conn:
            return q.run_doc(q.run_row(conn, project, run_id), project, full=True)

    @app.get("/api/runs/{project}/{run_id}/keys", tags=["keys"])
    def run_keys(project: str, run_id: str) -> dict[str, Any]:
        with store.read() as conn:
            return {"keys": q.run_keys(conn, q.run_pk(conn, project, run_id))}

    # -- series -----------------------------------------------------------------------------

    def _series(project: str, runs: list[str], key: str, x_axis: str, x_min: float | None,
                x_max: float | None, max_points: int) -> Response:
        if (x_min is None) != (x_max is None):
            raise ApiError(400, "give both x_min and x_max, or neither")
        x_range = (x_min, x_max) if x_min is not None and x_max is not None else None
        started = time.perf_counter()
        with store.read() as conn:
            out = q.series_query(conn, project, runs, key, x_axis, x_range, max_points)
        # encoded here: the values are plain floats and tags already, and FastAPI's generic
        # encoder took longer over a chart of 100 runs than the query did
        body = json.dumps({"series": out, "elapsed_ms": round((time.perf_counter() - started) * 1000, 3)},
                          separators=(",", ":"), allow_nan=False)
        return Response(body, media_type="application/json")

    series_doc = ("Per run, buckets of the series (x, x_last, min, max, mean, first, last, count, "
                  "nonfinite flags: 1 NaN, 2 +inf, 4 -inf); non-finite values are tagged "
                  '{"$float": "NaN"} (docs/http-api.md). A range of at most max_points points answers at '
                  "full resolution.")

    @app.get("/api/projects/{project}/series", tags=["series"], description=series_doc)
    def project_series(
        project: str,
        runs: str = Query(..., description="comma-separated run ids"),
        key: str = Query(...),
        x_axis: str = Query("_step", description="_step, _runtime, _timestamp or a logged numeric key"),
        x_min: float | None = None, x_max: float | None = None,
        max_points: int = Query(1000, ge=1, le=q.MAX_POINTS),
    ) -> Response:
        ids = [r for r in runs.split(",") if r]
        if not ids:
            raise ApiError(400, "runs must name at least one run id")
        return _series(project, ids, key, x_axis, x_min, x_max, max_points)

    @app.get("/api/runs/{project}/{run_id}/series", tags=["series"], description=series_doc)
    def run_series(
        project: str, run_id: str, key: str = Query(...), x_axis: str = "_step",
        x_min: float | None = None, x_max: float | None = None,
        max_points: int = Query(1000, ge=1, le=q.MAX_POINTS),
    ) -> Response:
        return _series(project, [run_id], key, x_axis, x_min, x_max, max_points)

    # -- media, tables, histograms, output ----------------------------------------------

    @app.get("/api/runs/{project}/{run_id}/media/steps", tags=["media"])
    def media_steps(project: str, run_id: str, key: str,
                    x_key: str | None = Query(None, description="also give each step's value of this key, "
                                              "e.g. epoch, for a slider that follows it")) -> dict[str, Any]:
        with store.read() as conn:
            rpk = q.run_pk(conn, project, run_id)
            steps = q.media_steps(conn, rpk, key)
            out: dict[str, Any] = {"key": key, "steps": steps}
            if x_key:
                out["x_key"], out["x"] = x_key, q.x_at_steps(conn, rpk, x_key, steps)
            return out

    @app.get("/api/runs/{project}/{run_id}/media", tags=["media"],
             description="The media of a key at a step (else the nearest earlier step), for the step slider. "
                         "Each item's path is served by the files endpoint.")
    def media_at(project: str, run_id: str, key: str, step: int | None = Query(None, ge=0, le=INT64_MAX),
                 x_key: str | None = Query(None, description="with x: pick the step by this key's value"),
                 x: float | None = None) -> dict[str, Any]:
        if (x_key is None) != (x is None):
            raise ApiError(400, "give both x_key and x, or neither")
        with store.read() as conn:
            rpk = q.run_pk(conn, project, run_id)
            if x_key is not None and x is not None:
                step = q.step_for_x(conn, rpk, key, x_key, x)
            found = q.media_at(conn, rpk, key, step)
        for item in found["items"]:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                item["url"] = f"/api/runs/{project}/{run_id}/files/{item['path']}"
        return found

    @app.get("/api/runs/{project}/{run_id}/files/{path:path}", tags=["media"],
             description="A file of the run's media/ or files/ folder, with range requests.")
    def run_file(project: str, run_id: str, path: str, request: Request) -> FileResponse:
        _, folder, _ = run_dir(project, run_id)
        target = files.resolve(folder, path)
        files.check_range(request.headers.get("range"), target.stat().st_size)
        # nosniff and the CSP sandbox (no access to the UI's origin, whatever the file's type) are
        # added to every /api answer by door.DoorMiddleware
        headers = {"Cache-Control": "public, max-age=31536000, immutable"}
        return FileResponse(target, media_type=files.content_type(target), headers=headers)

    @app.get("/api/runs/{project}/{run_id}/table", tags=["tables"])
    def run_table(
        project: str, run_id: str, key: str, step: int | None = Query(None, ge=0, le=INT64_MAX),
        offset: int = Query(0, ge=0, le=INT64_MAX), limit: int = Query(100, ge=1, le=10_000),
        sort: str | None = None, desc: bool = False, search: str | None = None,
        where: str | None = Query(None, description='exact column matches as JSON, e.g. {"label": "cat"}'),
    ) -> dict[str, Any]:
        rpk, folder, _ = run_dir(project, run_id)
        with store.read() as conn:
            found = q.media_at(conn, rpk, key, step)
        refs = [i for i in found["items"] if isinstance(i, dict) and i.get("_type") == "table-file"]
        if not refs:
            raise ApiError(404, f"key {key!r} holds no table at step {found['step']}")
        columns, data = tables.load(files.resolve(folder, str(refs[0].get("path", ""))))
        conditions: dict[str, str] = {}
        if where:
            try:
                parsed = json.loads(where)
                assert isinstance(parsed, dict)
            except (ValueError, AssertionError, RecursionError):
                raise ApiError(400, "where must be a JSON object of column: value") from None
            conditions = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()}
        out = tables.page(columns, data, offset, limit, sort, desc, search, conditions)
        out.update({"key": key, "step": found["step"], "column_types": refs[0].get("column_types")})
        return out

    @app.get("/api/runs/{project}/{run_id}/histograms", tags=["media"],
             description="Histograms of a key over steps, rebinned to one grid: a steps x bins matrix.")
    def run_histograms(project: str, run_id: str, key: str, max_steps: int = Query(200, ge=1, le=2000),
                       bins: int = Query(64, ge=1, le=512)) -> dict[str, Any]:
        with store.read() as conn:
            return q.histogram_matrix(conn, q.run_pk(conn, project, run_id), key, max_steps, bins)

    @app.get("/api/runs/{project}/{run_id}/output", tags=["runs"],
             description="Console output in pages; pass the answer's `next` as `after` for the next page.")
    def run_output(project: str, run_id: str, after: int = Query(-1, ge=-1, le=INT64_MAX),
                   limit: int = Query(1000, ge=1, le=10_000)) -> dict[str, Any]:
        with store.read() as conn:
            return q.output_page(conn, q.run_pk(conn, project, run_id), after, limit)

    @app.get("/api/runs/{project}/{run_id}/history", tags=["runs"],
             description="Every history row, unsampled, in pages read from the run log (scan_history). "
                         "Pass the answer's `next` as `after` for the next page.")
    def run_history(project: str, run_id: str, after: int = Query(0, ge=0, le=INT64_MAX),
                    page_size: int = Query(1000, ge=1, le=100_000), min_step: int = Query(0, ge=0, le=INT64_MAX),
                    max_step: int | None = Query(None, ge=0, le=INT64_MAX),
                    keys: str | None = Query(None, description="comma-separated; rows holding all of them")
                    ) -> dict[str, Any]:
        _, folder, _ = run_dir(project, run_id)
        wanted = [k for k in keys.split(",") if k] if keys else None
        return history.history_page(folder, after, page_size, min_step, max_step, wanted)

    @app.get("/api/runs/{project}/{run_id}/files", tags=["media"],
             description="Files under the run's media/ and files/; a media file also names the key and step that "
                         "logged it.")
    def run_files(project: str, run_id: str) -> dict[str, Any]:
        rpk, folder, _ = run_dir(project, run_id)
        with store.read() as conn:
            named = runinfo.media_names(conn, rpk)
        return {"files": [dict(f, url=f"/api/runs/{project}/{run_id}/files/{f['path']}", **named.get(f["path"], {}))
                          for f in history.list_files(folder)]}

    # -- summary edits --------------------------------------------------------------------

    @app.patch("/api/runs/{project}/{run_id}/summary", tags=["runs"],
               description="Edit a finished run's summary: appends a SUMMARY record to its log (docs/read-api.md).")
    def edit_summary(project: str, run_id: str, body: dict[str, Any] = Body(  # noqa: B008
            ..., examples=[{"update": {"best_acc": 0.93}, "delete": ["tmp"]}])) -> dict[str, Any]:
        update = body.get("update", {})
        delete = body.get("delete", [])
        if not isinstance(update, dict) or not isinstance(delete, list) or not all(
                isinstance(k, str) for k in delete):
            raise ApiError(400, 'body must be {"update": {key: value}, "delete": [key, ...]}')
        if not update and not delete:
            raise ApiError(400, "nothing to edit: give update and/or delete")
        try:  # tagged values (NaN, big integers, bytes) become what the log holds
            update = jsonvalue.decode(update, "update")
            jsonvalue.check_loggable(update, "update")
            jsonvalue.check_loggable(delete, "delete")
        except ValueError as exc:
            raise ApiError(400, f"the edit cannot be stored in the run log, nothing was written: {exc}") from None
        append_edit(project, run_id, [[Kind.SUMMARY, update, delete]], "summary")
        with store.read() as conn:
            return {"ok": True, "summary": q.run_doc(q.run_row(conn, project, run_id), project)["summary"]}

    @app.patch("/api/runs/{project}/{run_id}", tags=["runs"],
               description="Edit a finished run's name, tags and notes: appends an UPDATE record to its log, so "
                           "the edit survives a reindex (docs/http-api.md, \"Summary edits\").")
    def edit_run(project: str, run_id: str, body: dict[str, Any] = Body(  # noqa: B008
            ..., examples=[{"name": "baseline", "tags": ["best"], "notes": "the one to beat"}])) -> dict[str, Any]:
        fields = run_fields(body)
        append_edit(project, run_id, [[Kind.UPDATE, fields]], "name, tags and notes")
        with store.read() as conn:
            doc = q.run_doc(q.run_row(conn, project, run_id), project)
        return {"ok": True, "run": {k: doc[k] for k in ("id", "name", "tags", "notes")}}

    def append_edit(project: str, run_id: str, records: list[list[Any]], what: str) -> None:
        """Appends ``records`` to a finished run's log through ``RunLog`` and re-indexes the run."""
        _, folder, _ = run_dir(project, run_id)
        state, _ = RunFolder(folder).load_state()
        if state.state == RUNNING:
            raise ApiError(409, f"run {project}/{run_id} is still running; its {what} can be edited once it "
                                "has finished")
        try:
            append_records(folder / LOG_NAME, records)
        except DamagedLogError as exc:
            raise ApiError(409, f"the log of run {project}/{run_id} is damaged: {exc}") from None
        except RecordTooLargeError as exc:
            raise ApiError(413, f"{what} edit of run {project}/{run_id} refused: {exc}") from None
        except RunLockedError as exc:
            raise ApiError(409, str(exc)) from None
        ingestor.forget(folder)
        ingestor.ingest_run(folder)

    @app.delete("/api/runs/{project}/{run_id}", tags=["runs"],
                description="Delete a run for good: its folder (log, media, files) and its rows in the index. A "
                            "run still running, or one that logged artifact versions, answers 409 "
                            "(docs/read-api.md, \"Deleting a run\").")
    def delete_run(project: str, run_id: str, delete_artifacts: bool = Query(
            False, description="wandb's; runyard deletes no artifacts with a run")) -> dict[str, Any]:
        rpk, folder, _ = run_dir(project, run_id)
        with store.read() as conn:
            versions = removal.logged_versions(conn, rpk)
        try:
            removal.remove_folder(f"{project}/{run_id}", folder / LOG_NAME, versions)
        except removal.RunNotRemovable as exc:
            raise ApiError(409, str(exc)) from None
        except FileNotFoundError:  # gone already: the index follows below
            pass
        ingestor.prune()
        return {"ok": True, "deleted": run_id}

    # -- live updates -----------------------------------------------------------------------

    @app.get("/api/events", tags=["live"],
             description="Server-sent events: `run` events (state, last_step, rows, summary, new_keys) for "
                         "runs that changed after `since` (a seq; default: now). `timeout` closes the stream.")
    async def events(request: Request, project: str | None = None,
                     since: int | None = Query(None, ge=0, le=INT64_MAX),
                     timeout: float = Query(0, ge=0, le=86_400, description="seconds; 0 keeps the stream open"),
                     poll: float = Query(0.25, ge=0.05, le=10, description="seconds between database "
                                         "polls where changes are not notified (SQLite)")) -> StreamingResponse:
        def latest() -> int:
            with store.read() as conn:
                return q.max_seq(conn)

        start = since if since is not None else await anyio.to_thread.run_sync(latest)
        allowed = visible(request)

        stopping: Stopping = app.state.stopping

        async def stream() -> AsyncIterator[str]:
            seq = start
            known: dict[int, set[str]] = {}
            deadline = time.monotonic() + timeout if timeout else None
            last_beat = time.monotonic()
            woken = listener.subscribe() if listener is not None else None
            wake = "notify" if listener is not None and listener.listening.is_set() else "poll"
            try:
                yield f"event: hello\ndata: {json.dumps({'seq': seq, 'wake': wake})}\n\n"
                while (deadline is None or time.monotonic() < deadline) and not stopping.event.is_set():
                    if await request.is_disconnected():
                        return
                    changes = await anyio.to_thread.run_sync(_changes, seq, project, known, allowed)
                    for change in changes:
                        seq = max(seq, change["seq"])
                        yield f"id: {change['seq']}\nevent: run\ndata: {json.dumps(change)}\n\n"
                    if time.monotonic() - last_beat > 15:
                        last_beat = time.monotonic()
                        yield ": keep-alive\n\n"
                    await first_of(wait_for_change(listener, woken, poll), stopping,
                                   None if deadline is None else max(0.0, deadline - time.monotonic()))
            finally:
                if listener is not None and woken is not None:
                    listener.unsubscribe(woken)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    def _changes(seq: int, project: str | None, known: dict[int, set[str]],
                 allowed: frozenset[str] | None = None) -> list[dict[str, Any]]:
        with store.read() as conn:
            changes = q.changes_since(conn, seq, project)
            if allowed is not None:
                names = {p["name"] for p in q.projects(conn) if p["entity"] in allowed}
                changes = [c for c in changes if c["project"] in names]
            for change in changes:
                pk = change.pop("pk")
                keys = {k["key"] for k in q.run_keys(conn, pk)}
                change["new_keys"] = sorted(keys - known.get(pk, set())) if pk in known else sorted(keys)
                known[pk] = keys
        return changes

    importance.install(app, store)  # which config keys matter for a summary metric (compare view)
    points.install(app, store)  # raw points and define_metric declarations for the charts
    views.install(app, root_path)  # saved workspace views
    runinfo.install(app, store, root_path)  # environment, code, alerts of a run

    # [artifacts] docs/artifacts.md, "HTTP API"
    from .artifacts import install_artifacts

    install_artifacts(app, store, root_path, blobs)
    if auth is not None and blobs is not None:  # clients send versions' files and get numbers
        from .artifact_uploads import install_artifact_uploads

        install_artifact_uploads(app, store, blobs, auth)

    if auth is not None:  # team routes replace the folder-reading ones; before the UI's catch-all
        from .team import install_team

        install_team(app, store, blobs, auth, ingest_threads)

    # [web UI] the built UI (docs/ui.md) on every non-API route; keep this last.
    from .static import install_ui

    install_ui(app)
    return app
