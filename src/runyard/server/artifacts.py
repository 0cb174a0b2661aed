"""The artifacts routes of the HTTP API (docs/artifacts.md, "HTTP API"): types, collections,
versions, a version's manifest, its files, a diff of two versions, lineage, and a run's
artifacts. Versions and lineage come from the index (``store/artifact_index.py``); manifests and
files from the blob store: the root folder's, or on a team server its own (``blobs``), where the
version numbers are the server's (``artifact_numbers``, see ``artifact_uploads.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, StreamingResponse

from ..store import artifact_index as ai
from ..store.db import Store
from . import files
from .errors import ApiError


def install_artifacts(app: FastAPI, store: Store, root: Path, team_blobs: Any = None) -> None:
    def blob_store() -> Any:
        if team_blobs is not None:
            return team_blobs
        from ..artifacts.context import context

        return context(root).blobs

    def nums(conn: Any, project: str | None = None) -> ai.Numbers | None:
        """A team server's version numbers (of ``project``, or all for lineage across projects)."""
        return ai.team_numbers(conn, project) if team_blobs is not None else None

    def version_or_404(project: str, name: str, version: str) -> dict[str, Any]:
        with store.read() as conn:
            v = ai.artifact_version(conn, project, name, version, nums(conn, project))
        if v is None:
            raise ApiError(404, f"no artifact {name}:{version} in project {project!r}")
        return v

    def manifest_of(v: dict[str, Any]) -> Any:
        from ..artifacts.manifest import Manifest
        from ..store.blobs import BlobNotFoundError

        try:
            return Manifest.from_bytes(blob_store().read_bytes(v["digest"]))
        except BlobNotFoundError:
            raise ApiError(404, f"the manifest of {v['name']}:v{v['version']} is not in the blob store") from None

    @app.get("/api/projects/{project}/artifact-types", tags=["artifacts"])
    def artifact_types(project: str) -> dict[str, Any]:
        with store.read() as conn:
            return {"types": ai.artifact_types(conn, project, nums(conn, project))}

    @app.get("/api/projects/{project}/artifacts", tags=["artifacts"],
             description="Artifact collections of a project (name, type, version count, size, latest).")
    def artifact_collections(project: str, type: str | None = None) -> dict[str, Any]:
        with store.read() as conn:
            return {"collections": ai.artifact_collections(conn, project, type, nums(conn, project))}

    @app.get("/api/projects/{project}/artifacts/{name}/versions", tags=["artifacts"])
    def artifact_versions(project: str, name: str) -> dict[str, Any]:
        with store.read() as conn:
            versions = ai.artifact_versions(conn, project, name, nums(conn, project))
        if not versions:
            raise ApiError(404, f"no artifact {name!r} in project {project!r}")
        return {"versions": versions}

    @app.get("/api/projects/{project}/artifacts/{name}/{version}", tags=["artifacts"],
             description="One version (v3, latest or a custom alias) with its manifest.")
    def artifact_version(project: str, name: str, version: str) -> dict[str, Any]:
        v = version_or_404(project, name, version)
        m = manifest_of(v)
        return {**v, "manifest": [{"path": e.path, **e.to_json()} for e in m]}

    @app.get("/api/projects/{project}/artifacts/{name}/{version}/diff", tags=["artifacts"],
             description="Files added, removed and changed from version `other` to this one.")
    def artifact_diff(project: str, name: str, version: str, other: str = Query(...)) -> dict[str, Any]:
        from ..artifacts.manifest import diff

        new, old = version_or_404(project, name, version), version_or_404(project, name, other)
        return {"from": old["version"], "to": new["version"], **diff(manifest_of(old), manifest_of(new))}

    @app.get("/api/projects/{project}/artifacts/{name}/{version}/lineage", tags=["artifacts"],
             description="Runs and versions within `hops` steps, as nodes and edges of a DAG.")
    def artifact_lineage(project: str, name: str, version: str, hops: int = Query(2, ge=1, le=6)) -> dict[str, Any]:
        v = version_or_404(project, name, version)
        with store.read() as conn:
            return ai.lineage(conn, project, name, int(v["version"]), hops, nums(conn))

    @app.get("/api/projects/{project}/artifacts/{name}/{version}/files/{path:path}", tags=["artifacts"],
             description="A file of a version, by its path in the manifest.")
    def artifact_file(project: str, name: str, version: str, path: str, request: Request) -> Any:
        v = version_or_404(project, name, version)
        entry = manifest_of(v).entries.get(path)
        if entry is None:
            raise ApiError(404, f"{name}:v{v['version']} has no file {path!r}")
        if entry.ref is not None:
            raise ApiError(404, f"{path!r} is a reference to {entry.ref}; its bytes are not stored here")
        blobs = blob_store()
        ctype = files.content_type(Path(path))
        local = blobs.local_path(entry.digest)
        if local is not None:
            files.check_range(request.headers.get("range"), entry.size)
            return FileResponse(local, media_type=ctype, filename=Path(path).name,
                                content_disposition_type="inline")

        def chunks() -> Iterator[bytes]:
            with blobs.open(entry.digest) as f:
                while chunk := f.read(1 << 20):
                    yield chunk

        return StreamingResponse(chunks(), media_type=ctype, headers={"Content-Length": str(entry.size)})

    @app.get("/api/runs/{project}/{run_id}/artifacts", tags=["artifacts"],
             description="Versions a run logged and used.")
    def run_artifacts(project: str, run_id: str) -> dict[str, Any]:
        with store.read() as conn:
            return ai.run_artifacts(conn, project, run_id, nums(conn))
