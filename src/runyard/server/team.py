"""The team server's routes (``docs/team-server.md``): sign-in, who am I, online ingest, blobs,
and the routes that read a run's log and files, served from the database and the blob store
instead of a run folder.

``install_team(app, store, blobs)`` is called by ``create_app`` before the web UI's catch-all
route; it replaces the folder-reading routes by name and adds the team routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any, TypeVar

import anyio
import sqlalchemy as sa
from fastapi import Body, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..log.framing import frame
from ..log.reader import STALE_AFTER
from ..log.records import Kind, encode
from ..log.state import CRASHED, RUNNING
from ..store import queries as q
from ..store import removal
from ..store import schema as s
from ..store import team_schema as t
from ..store.blobs import BlobNotFoundError, BlobStore, check_digest
from ..store.db import Store
from ..store.ingest import delete_run_data
from ..store.online import INGEST_THREADS, BatchError, GroupIngest, SegmentStream, apply_batch, held_offset
from . import files, history, tables
from .auth import SESSION_COOKIE, SESSION_DAYS, Auth, AuthError, User, safe_next, signin_page
from .edits import run_fields
from .errors import ApiError

T = TypeVar("T")
# the folder-reading routes of ``app.py`` that a team server answers from its database instead
FOLDER_ROUTES = ("run_file", "run_table", "run_history", "run_files", "edit_summary", "edit_run", "delete_run")
_PATH = re.compile(r"^(media|files)/[^\x00]+$")
MAX_BLOB_BYTES = 256 << 20  # one media file or run file sent through the server (held in memory)


def owner_for_write(auth: Auth, user: User, project: str, entity: str | None) -> tuple[str, str]:
    """``(owner, key)`` of the project a write names: ``entity``'s (default: the user's own) project
    named ``project``, made when new (project names are unique per entity), or the project of key
    ``project`` when it is a key ``entity:name``; 403 when the caller may not write to it."""
    if ":" in project:  # a key (names hold no ':'), as the read routes pass it on
        owner = auth.project_owner(project)
        if owner is not None:
            if owner not in user.entities:
                raise ApiError(403, "your key has no access to this project")
            return owner, project
        entity, project = project.split(":", 1)
    wanted = entity or user.name
    if wanted not in user.entities:
        raise ApiError(403, f"your key cannot write to entity {wanted!r}")
    try:
        return wanted, auth.claim_project(project, wanted)
    except AuthError as exc:
        raise ApiError(403, str(exc)) from None


def known_owner(auth: Auth, user: User, project: str, entity: str | None) -> tuple[str, str] | None:
    """``owner_for_write``'s answer when this process holds it in memory (a project of an entity
    the user may write to, named here before), else None: the event loop asks this first."""
    if ":" in project:
        return None
    wanted = entity or user.name
    key = auth.claimed(wanted, project) if wanted in user.entities else None
    return (wanted, key) if key is not None else None


def _user(request: Request) -> User:
    user = request.scope.get("state", {}).get("user")
    if not isinstance(user, User):  # the middleware lets nothing else through
        raise ApiError(401, "this server needs an API key")
    return user


def visible_projects(request: Request) -> frozenset[str] | None:
    """The entities whose projects the caller may see; None when keys are off (a local ``runyard ui``)."""
    user = request.scope.get("state", {}).get("user")
    return user.entities if isinstance(user, User) else None


def blob_call(fn: Callable[..., T], *args: Any) -> T:
    """Call the blob store; a store that is down or failing answers 503 (clients retry)."""
    try:
        return fn(*args)
    except (BlobNotFoundError, ApiError, ValueError):
        raise
    except Exception as exc:  # boto3/botocore and OS errors alike: the store, not the request
        raise ApiError(503, f"the blob store is unreachable or failing ({type(exc).__name__}: {exc}); "
                            "try again later") from None


async def _database_down(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"ok": False, "error": f"the database is unreachable ({type(exc).__name__}); try again "
                                                "later", "status": 503}, status_code=503)


class Sweeper:
    """Marks silent online runs crashed: a team server has no process table to ask, so a run without
    an END record whose last batch arrived ``STALE_AFTER`` seconds ago is taken as dead (a live
    writer heartbeats every few seconds, so its sender always has something to send). A later batch
    recomputes the state (``_TeamIngestor``), so a run that was only cut off comes back."""

    def __init__(self, store: Store, every: float = 30.0) -> None:
        self.store, self.every = store, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="runyard-sweeper", daemon=True)

    def sweep(self, now: float | None = None) -> int:
        cutoff = (now if now is not None else time.time()) - STALE_AFTER
        with self.store.begin() as conn:
            seq = sa.select(sa.func.coalesce(sa.func.max(s.runs.c.seq), 0) + 1).scalar_subquery()
            return int(conn.execute(sa.update(s.runs).where(s.runs.c.state == RUNNING, s.runs.c.updated_at < cutoff)
                                    .values(state=CRASHED, seq=seq)).rowcount)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            with contextlib.suppress(Exception):  # a database outage: try again next time
                self.sweep()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


def install_team(app: FastAPI, store: Store, blob_store: BlobStore | None, auth: Auth,
                 ingest_threads: int = INGEST_THREADS) -> None:
    """Sign-in and ``whoami``; with a blob store also ingest, blobs, and the run routes that a
    folder-less server answers from its database (replacing ``app.py``'s folder routes)."""
    app.add_exception_handler(sa.exc.OperationalError, _database_down)
    app.add_exception_handler(sa.exc.InterfaceError, _database_down)

    def owner_of(user: User, project: str, entity: str | None) -> tuple[str, str]:
        return owner_for_write(auth, user, project, entity)

    # -- sign-in ---------------------------------------------------------------------------------

    @app.get("/signin", include_in_schema=False)
    def signin(next: str = "/") -> HTMLResponse:  # noqa: A002 - the query parameter's name
        return HTMLResponse(signin_page(safe_next(next)), headers={"Cache-Control": "no-store"})

    @app.post("/api/signin", include_in_schema=False)
    async def signin_post(request: Request) -> Response:
        # the sign-in form, url-encoded (parsed here: FastAPI's Form needs python-multipart)
        form = urllib.parse.parse_qs((await request.body())[:8192].decode("utf-8", "replace"))
        key = (form.get("key") or [""])[0].strip()
        next = (form.get("next") or ["/"])[0]  # noqa: A001
        user = await anyio.to_thread.run_sync(auth.user_for_key, key) if key else None
        if user is None:
            return HTMLResponse(signin_page(safe_next(next), "That key is not valid on this server."),
                                status_code=401)
        token = await anyio.to_thread.run_sync(auth.new_session, user)
        resp = RedirectResponse(safe_next(next), status_code=303)
        resp.set_cookie(SESSION_COOKIE, token, max_age=SESSION_DAYS * 86400, httponly=True, samesite="lax")
        return resp

    @app.post("/api/signout", tags=["team"])
    def signout(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            auth.end_session(token)
        resp = RedirectResponse("/signin", status_code=303)
        resp.delete_cookie(SESSION_COOKIE)
        return resp

    @app.get("/api/whoami", tags=["team"], description="The caller: user name, entities it can see, admin.")
    def whoami(request: Request) -> dict[str, Any]:
        user = _user(request)
        return {"user": user.name, "entities": sorted(user.entities), "admin": user.admin}

    if blob_store is None:  # keys on a local ``runyard ui``: runs still come from its folder
        return
    blobs: BlobStore = blob_store
    group_ingest = GroupIngest(store, ingest_threads)  # concurrent batches of this process, applied together
    app.router.routes[:] = [r for r in app.router.routes
                            if not (isinstance(r, Route) and r.name in FOLDER_ROUTES)]

    # -- online ingest ---------------------------------------------------------------------------

    @app.get("/api/ingest/{project}/{run_id}", tags=["ingest"],
             description="How much of a run's log the server holds: `{offset}` (0: nothing).")
    def ingest_offset(project: str, run_id: str, request: Request, entity: str | None = None) -> dict[str, Any]:
        user = _user(request)
        key, error = auth.resolve(user, project, entity or (None if ":" in project else user.name))
        if error is not None:
            raise ApiError(403, error)
        if key is None:
            return {"offset": 0}
        with store.read() as conn:
            return {"offset": held_offset(conn, key, run_id)}

    @app.post("/api/ingest/{project}/{run_id}", tags=["ingest"],
              description="Append a batch of run-log frames at `offset` (header `X-Runyard-Offset`; the "
                          "body is the frames' bytes; `X-Runyard-Head`: hex of the log's first 16 bytes). "
                          "Applied exactly once: answers `{ok, offset, applied}` with the offset the server "
                          "now holds; a batch beyond it answers 409 with `expected_offset`.")
    async def ingest(project: str, run_id: str, request: Request,
                     entity: str | None = Query(None, description="owner of a new project (default: you)")
                     ) -> JSONResponse:
        user = _user(request)
        try:
            start = int(request.headers.get("x-runyard-offset", ""))
            head = bytes.fromhex(request.headers.get("x-runyard-head", ""))
        except ValueError:
            raise ApiError(400, "send the batch's log offset in X-Runyard-Offset (an integer) and the "
                                "log's head in X-Runyard-Head (hex)") from None
        data = await request.body()
        known = known_owner(auth, user, project, entity)
        owner, key = known if known is not None else await anyio.to_thread.run_sync(owner_of, user, project, entity)
        try:
            ack = await asyncio.wrap_future(group_ingest.submit(key, run_id, owner, start, data, head, user.name))
        except BatchError as exc:
            body: dict[str, Any] = {"ok": False, "error": str(exc), "status": exc.status}
            if exc.expected is not None:
                body["expected_offset"] = exc.expected
            return JSONResponse(body, status_code=exc.status)
        return JSONResponse({"ok": True, "offset": ack.offset, "applied": ack.applied,
                             "records": ack.records, "points": ack.points})

    # -- blobs -------------------------------------------------------------------------------------

    @app.post("/api/blobs/missing", tags=["blobs"],
              description='Which of these sha256 hashes the blob store lacks: `{"hashes": [...]}` → `{missing, '
                          'uploads}`; `uploads` maps each missing hash to a presigned `{url, headers}` when the '
                          'store presigns (S3), to PUT the bytes to directly.')
    def blobs_missing(request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        _user(request)
        hashes = body.get("hashes")
        if not isinstance(hashes, list) or len(hashes) > 10_000:
            raise ApiError(400, 'body must be {"hashes": [sha256 hex, ...]} (at most 10000)')
        try:
            wanted = [check_digest(h) for h in hashes]
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        missing = blob_call(blobs.missing, wanted)
        # a store that presigns (S3): each missing blob may go straight to it, checked by its hash
        presign = getattr(blobs, "presign_put", None)
        uploads = {d: u for d in missing if (u := presign(d)) is not None} if presign is not None else {}
        return {"missing": missing, "uploads": uploads}

    @app.put("/api/blobs/{digest}", tags=["blobs"],
             description="Upload a blob; refused (400) when the body's sha256 is not `digest`.")
    async def blob_put(digest: str, request: Request) -> dict[str, Any]:
        _user(request)
        try:
            check_digest(digest)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        data = await request.body()
        if len(data) > MAX_BLOB_BYTES:
            raise ApiError(413, f"a blob sent through the server holds at most {MAX_BLOB_BYTES} bytes")
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise ApiError(400, f"the body's sha256 is {actual}, not {digest}: nothing was stored")
        result = await anyio.to_thread.run_sync(blob_call, blobs.put_bytes, data)
        return {"ok": True, "digest": result.digest, "size": result.size, "created": result.created}

    @app.post("/api/ingest/{project}/{run_id}/files", tags=["ingest"],
              description='Name a run\'s files by hash: `{"files": [{path, sha256, size}]}` (paths under '
                          "`media/` or `files/`); every hash must be in the blob store already (409 lists "
                          "the missing).")
    def register_files(project: str, run_id: str, request: Request,
                       body: dict[str, Any] = Body(...),  # noqa: B008
                       entity: str | None = None) -> dict[str, Any]:
        user = _user(request)
        items = body.get("files")
        if not isinstance(items, list):
            raise ApiError(400, 'body must be {"files": [{"path", "sha256", "size"}]}')
        _, key = owner_of(user, project, entity)
        rows = []
        for it in items:
            if not isinstance(it, dict) or not isinstance(it.get("path"), str) or \
                    not _PATH.match(it["path"]) or ".." in PurePosixPath(it["path"]).parts or \
                    not isinstance(it.get("size"), int):
                raise ApiError(400, f"bad file entry {it!r}: path under media/ or files/, sha256, size")
            try:
                rows.append({"project": key, "run_id": run_id, "path": it["path"],
                             "sha256": check_digest(it.get("sha256", "")), "size": int(it["size"])})
            except ValueError as exc:
                raise ApiError(400, str(exc)) from None
        missing = blob_call(blobs.missing, [r["sha256"] for r in rows])
        if missing:
            raise ApiError(409, f"upload these blobs first: {', '.join(missing[:20])}")
        with store.begin() as conn:
            for r in rows:
                conn.execute(sa.delete(t.run_blobs).where(t.run_blobs.c.project == key,
                                                          t.run_blobs.c.run_id == run_id,
                                                          t.run_blobs.c.path == r["path"]))
            if rows:
                conn.execute(sa.insert(t.run_blobs), rows)
        return {"ok": True, "files": len(rows)}

    # -- the folder routes, from the database and the blob store ------------------------------------

    def blob_of(project: str, run_id: str, path: str) -> tuple[str, int]:
        with store.read() as conn:
            q.run_pk(conn, project, run_id)  # 404 for an unknown run
            row = conn.execute(sa.select(t.run_blobs.c.sha256, t.run_blobs.c.size).where(
                t.run_blobs.c.project == project, t.run_blobs.c.run_id == run_id,
                t.run_blobs.c.path == path)).first()
        if row is None:
            raise ApiError(404, f"no such file in this run's media or files: {path!r}")
        return str(row[0]), int(row[1])

    def read_blob(digest: str) -> bytes:
        try:
            return blob_call(blobs.read_bytes, digest)
        except BlobNotFoundError:
            raise ApiError(404, "the file's bytes are not in the blob store") from None

    @app.get("/api/runs/{project}/{run_id}/files/{path:path}", tags=["media"], name="team_run_file",
             description="A file of the run's media/ or files/, from the blob store.")
    def team_run_file(project: str, run_id: str, path: str, request: Request) -> Response:
        digest, size = blob_of(project, run_id, path)
        files.check_range(request.headers.get("range"), size)
        data = read_blob(digest)
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=31536000, immutable",
                   "Accept-Ranges": "bytes", "ETag": f'"{digest}"'}
        ctype = files.content_type(PurePosixPath(path))  # type: ignore[arg-type]
        if ctype.startswith(("text/html", "image/svg")):
            headers["Content-Security-Policy"] = "sandbox allow-scripts"
        rng = request.headers.get("range")
        if rng:
            first, _, last = rng.split("=", 1)[1].split(",")[0].partition("-")
            a = int(first) if first.strip() else max(0, len(data) - int(last))
            b = min(len(data) - 1, int(last)) if first.strip() and last.strip() else len(data) - 1
            headers["Content-Range"] = f"bytes {a}-{b}/{len(data)}"
            return Response(data[a : b + 1], status_code=206, media_type=ctype, headers=headers)
        return Response(data, media_type=ctype, headers=headers)

    @app.get("/api/runs/{project}/{run_id}/files", tags=["media"], name="team_run_files")
    def team_run_files(project: str, run_id: str) -> dict[str, Any]:
        with store.read() as conn:
            q.run_pk(conn, project, run_id)
            rows = conn.execute(sa.select(t.run_blobs.c.path, t.run_blobs.c.size).where(
                t.run_blobs.c.project == project, t.run_blobs.c.run_id == run_id).order_by(t.run_blobs.c.path)).all()
        return {"files": [{"path": p, "size": int(n), "url": f"/api/runs/{project}/{run_id}/files/{p}"}
                          for p, n in rows]}

    @app.get("/api/runs/{project}/{run_id}/table", tags=["tables"], name="team_run_table")
    def team_run_table(
        project: str, run_id: str, key: str, step: int | None = Query(None, ge=0),
        offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=10_000),
        sort: str | None = None, desc: bool = False, search: str | None = None, where: str | None = None,
    ) -> dict[str, Any]:
        with store.read() as conn:
            found = q.media_at(conn, q.run_pk(conn, project, run_id), key, step)
        refs = [i for i in found["items"] if isinstance(i, dict) and i.get("_type") == "table-file"]
        if not refs:
            raise ApiError(404, f"key {key!r} holds no table at step {found['step']}")
        digest, _ = blob_of(project, run_id, str(refs[0].get("path", "")))
        columns, data = tables.parse(digest, read_blob(digest))
        conditions: dict[str, str] = {}
        if where:
            try:
                parsed = json.loads(where)
                assert isinstance(parsed, dict)
            except (ValueError, AssertionError):
                raise ApiError(400, "where must be a JSON object of column: value") from None
            conditions = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()}
        out = tables.page(columns, data, offset, limit, sort, desc, search, conditions)
        out.update({"key": key, "step": found["step"], "column_types": refs[0].get("column_types")})
        return out

    @app.get("/api/runs/{project}/{run_id}/history", tags=["runs"], name="team_run_history",
             description="Every history row, unsampled, in pages read from the run log held by the server.")
    def team_run_history(project: str, run_id: str, after: int = Query(0, ge=0),
                         page_size: int = Query(1000, ge=1, le=100_000), min_step: int = Query(0, ge=0),
                         max_step: int | None = Query(None, ge=0), keys: str | None = None) -> dict[str, Any]:
        wanted = [k for k in keys.split(",") if k] if keys else None
        with store.read() as conn:
            q.run_pk(conn, project, run_id)
            return history.history_page(None, after, page_size, min_step, max_step, wanted,
                                        log=SegmentStream(conn, project, run_id))

    @app.patch("/api/runs/{project}/{run_id}/summary", tags=["runs"], name="team_edit_summary",
               description="Edit a finished run's summary: appends a SUMMARY record to the log the server holds.")
    def team_edit_summary(project: str, run_id: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        update, delete = body.get("update", {}), body.get("delete", [])
        if not isinstance(update, dict) or not isinstance(delete, list) or not all(isinstance(k, str) for k in delete):
            raise ApiError(400, 'body must be {"update": {key: value}, "delete": [key, ...]}')
        if not update and not delete:
            raise ApiError(400, "nothing to edit: give update and/or delete")
        append_held(project, run_id, [Kind.SUMMARY, update, delete], "summary")
        with store.read() as conn:
            return {"ok": True, "summary": q.run_doc(q.run_row(conn, project, run_id), project)["summary"]}

    @app.patch("/api/runs/{project}/{run_id}", tags=["runs"], name="team_edit_run",
               description="Edit a finished run's name, tags and notes: appends an UPDATE record to the log the server "
                           "holds.")
    def team_edit_run(project: str, run_id: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        append_held(project, run_id, [Kind.UPDATE, run_fields(body)], "name, tags and notes")
        with store.read() as conn:
            doc = q.run_doc(q.run_row(conn, project, run_id), project)
        return {"ok": True, "run": {k: doc[k] for k in ("id", "name", "tags", "notes")}}

    @app.delete("/api/runs/{project}/{run_id}", tags=["runs"], name="team_delete_run",
                description="Delete a run for good: the log the server holds, its file hashes and its rows in the "
                            "index (blobs stay in the store). A run still running, or one that logged artifact "
                            "versions, answers 409.")
    def team_delete_run(project: str, run_id: str, delete_artifacts: bool = Query(
            False, description="wandb's; runyard deletes no artifacts with a run")) -> dict[str, Any]:
        with store.begin() as conn:
            row = q.run_row(conn, project, run_id)._mapping
            run_pk = int(row["pk"])
            try:
                removal.check_removable(f"{project}/{run_id}", row["state"] == RUNNING,
                                        removal.logged_versions(conn, run_pk))
            except removal.RunNotRemovable as exc:
                raise ApiError(409, str(exc)) from None
            removal.drop_held(conn, project, run_id)
            delete_run_data(conn, run_pk, keep_run=False)
        return {"ok": True, "deleted": run_id}

    def append_held(project: str, run_id: str, record: list[Any], what: str) -> None:
        with store.read() as conn:
            row = q.run_row(conn, project, run_id)._mapping
            end = held_offset(conn, project, run_id)
        if row["state"] == RUNNING:
            raise ApiError(409, f"run {project}/{run_id} is still running; its {what} can be edited once it "
                                "has finished")
        owner = auth.project_owner(project) or "local"
        try:
            apply_batch(store, project, run_id, owner, end, frame(encode(record)), b"")
        except BatchError as exc:
            raise ApiError(409, str(exc)) from None
