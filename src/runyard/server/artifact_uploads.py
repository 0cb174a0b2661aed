"""A team server's side of artifacts sent by clients (docs/artifacts.md, "On a team server").

A client sends a version's files by content hash (``POST /api/blobs/missing``, ``PUT
/api/blobs/{sha256}``; a file larger than one request goes as parts, joined here by
``compose``), then its manifest, then asks for a version number (``commit``). The server numbers
versions itself, in ``artifact_numbers``: the same manifest digest in a collection is always the
same version, so a commit sent twice (a retry, ``runyard sync`` after online mode) gives the
same answer. Clients' run logs carry their own local numbers; the read routes renumber the
logs' artifact records by digest (``store/artifact_index.py``), so a version is visible once the
server numbered it *and* the record of the run that logged it arrived.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from typing import Any

import anyio
import sqlalchemy as sa
from fastapi import Body, FastAPI, Request

from ..store import team_schema as t
from ..store.blobs import BlobNotFoundError, BlobStore, check_digest
from ..store.db import Store
from .auth import Auth
from .errors import ApiError
from .team import _user, blob_call, owner_for_write

MAX_PARTS = 10_000


def _commit(store: Store, project: str, name: str, type_: str, digest: str) -> dict[str, Any]:
    """The version number of ``digest`` in collection ``project/name``: the existing one, or the
    next one (numbered under a lock, so concurrent commits get distinct numbers)."""
    n = t.artifact_numbers
    with store.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                         {"k": f"runyard-artifact:{project}/{name}"})
        rows = conn.execute(sa.select(n.c.version, n.c.digest, n.c.type)
                            .where(n.c.project == project, n.c.name == name)).all()
        same = next((r for r in rows if r.digest == digest), None)
        if same is not None:
            return {"version": int(same.version), "created": False, "type": same.type}
        if rows and rows[0].type != type_:
            raise ApiError(409, f"artifact {name!r} in project {project!r} has type {rows[0].type!r}, not "
                                f"{type_!r}; use another name for another type")
        version = max((int(r.version) for r in rows), default=-1) + 1
        conn.execute(sa.insert(n).values(project=project, name=name, version=version, digest=digest,
                                         type=type_, created_at=time.time()))
    return {"version": version, "created": True, "type": type_}


def _compose(blobs: BlobStore, digest: str, parts: list[str], size: int) -> dict[str, Any]:
    """Join part blobs into the blob ``digest`` (streamed through a temporary file, hashed on the
    way); nothing is stored unless the bytes hash to ``digest``. The parts are then removed."""
    if blobs.has(digest):
        return {"ok": True, "digest": digest, "size": blobs.size(digest), "created": False}
    fd, tmp = tempfile.mkstemp(prefix=".runyard-compose-")
    try:
        h = hashlib.sha256()
        total = 0
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with blobs.open(part) as f:
                    while chunk := f.read(1 << 20):
                        h.update(chunk)
                        out.write(chunk)
                        total += len(chunk)
        if h.hexdigest() != digest or total != size:
            raise ApiError(400, f"the parts join to {total} bytes of sha256 {h.hexdigest()}, not {size} "
                                f"bytes of {digest}: nothing was stored")
        result = blobs.put_file(tmp)
    finally:
        os.unlink(tmp)
    for part in dict.fromkeys(parts):
        blobs.delete(part)
    return {"ok": True, "digest": result.digest, "size": result.size, "created": result.created}


def install_artifact_uploads(app: FastAPI, store: Store, blobs: BlobStore, auth: Auth) -> None:
    def writable(request: Request, project: str, entity: str | None) -> str:
        """The key of the project written to (see ``owner_for_write``)."""
        return owner_for_write(auth, _user(request), project, entity)[1]

    @app.post("/api/artifacts/blobs/{digest}/compose", tags=["artifacts"],
              description='Join uploaded part blobs into one blob: `{"parts": [sha256, ...], "size": N}`; '
                          "stored only when the joined bytes hash to `digest`.")
    async def compose(digest: str, request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        _user(request)
        parts, size = body.get("parts"), body.get("size")
        try:
            check_digest(digest)
            if not isinstance(parts, list) or not 0 < len(parts) <= MAX_PARTS or not isinstance(size, int):
                raise ValueError(f'body must be {{"parts": [sha256, ...] (1 to {MAX_PARTS}), "size": bytes}}')
            parts = [check_digest(p) for p in parts]
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        missing = await anyio.to_thread.run_sync(blob_call, blobs.missing, parts)
        if missing and not await anyio.to_thread.run_sync(blob_call, blobs.has, digest):
            raise ApiError(409, f"upload these parts first: {', '.join(missing[:20])}")
        try:
            result: dict[str, Any] = await anyio.to_thread.run_sync(blob_call, _compose, blobs, digest, parts, size)
        except BlobNotFoundError as exc:  # a part removed meanwhile (the same file composed twice at once)
            raise ApiError(409, f"a part is gone ({exc}); upload the parts again") from None
        return result

    @app.post("/api/projects/{project}/artifacts/{name}/commit", tags=["artifacts"],
              description='Number a version whose manifest and files are in the blob store: `{"type", '
                          '"digest"}` (the manifest\'s sha256) → `{version, created}`; the same digest is '
                          "always the same version. 409 lists files not uploaded yet.")
    def commit(project: str, name: str, request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        from ..artifacts.manifest import Manifest
        from ..artifacts.names import check_name

        try:
            check_name("project", project.split(":", 1)[-1])  # a project's key may be entity:name
            check_name("name", name)
            type_ = check_name("type", str(body.get("type", "")))
            digest = check_digest(str(body.get("digest", "")))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        entity = body.get("entity")
        project = writable(request, project, entity if isinstance(entity, str) and entity else None)
        try:
            manifest = Manifest.from_bytes(blob_call(blobs.read_bytes, digest))
        except BlobNotFoundError:
            raise ApiError(409, f"upload the manifest {digest} first") from None
        except ValueError as exc:
            raise ApiError(400, f"blob {digest} is not a manifest: {exc}") from None
        missing = blob_call(blobs.missing, [e.digest for e in manifest if e.ref is None])
        if missing:
            raise ApiError(409, f"upload these files of {name} first: {', '.join(missing[:20])}"
                                + (f" and {len(missing) - 20} more" if len(missing) > 20 else ""))
        return _commit(store, project, name, type_, digest)
