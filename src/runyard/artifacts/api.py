"""The read API's artifacts: ``Api().artifact("project/name:v3")``, ``api.artifacts(type, name)``,
``api.artifact_types()``, ``api.artifact_collections()``, read from a root folder's registry."""

from __future__ import annotations

from typing import Any

from .artifact import Artifact
from .context import context
from .manifest import Manifest
from .names import ArtifactNotFoundError, check_name, parse_spec
from .runs import fetch


def _project(api: Any, project: str | None) -> str:
    if project:
        return project.split("/")[-1]
    projects = api._artifact_ctx().registry.projects()
    if len(projects) == 1:
        return str(projects[0])
    raise ValueError(f"name a project: {api.root} holds artifacts in {projects or 'none'}")


def _remote_project(project: str | None) -> str:
    if not project:
        raise ValueError("name the project: Api(base_url=...) reads artifacts of one project at a time")
    return project.split("/")[-1]


def artifact(api: Any, name: str, type: str | None = None) -> Any:
    if api._http is not None:
        from .http import remote_artifact

        return remote_artifact(api, name, type)
    spec = parse_spec(name)
    return fetch(api._artifact_ctx(), _project(api, spec.project), name, type)


def artifact_versions(api: Any, type_name: str, name: str) -> list[Artifact]:
    """Every version of collection ``[project/]name`` (of type ``type_name``), oldest first."""
    if api._http is not None:
        from .http import remote_versions

        return remote_versions(api, type_name, name)  # type: ignore[return-value]
    spec = parse_spec(name)
    ctx = api._artifact_ctx()
    project = _project(api, spec.project)
    docs = ctx.registry.version_docs(project, spec.name)
    if not docs:
        raise ArtifactNotFoundError(f"no artifact {spec.name!r} in project {project!r}")
    if type_name and docs[0]["type"] != type_name:
        raise ValueError(f"artifact {spec.name!r} has type {docs[0]['type']!r}, not {type_name!r}")
    return [Artifact._from_doc(ctx, d, Manifest.from_bytes(ctx.blobs.read_bytes(d["digest"]))) for d in docs]


def artifact_types(api: Any, project: str | None = None) -> list[str]:
    if api._http is not None:
        from .http import remote_types

        return remote_types(api, _remote_project(project))
    ctx = api._artifact_ctx()
    return sorted({t for _, t in ctx.registry.collections(_project(api, project))})


def artifact_collections(api: Any, project: str | None = None, type_name: str | None = None) -> list[str]:
    if api._http is not None:
        from .http import remote_collections

        return remote_collections(api, _remote_project(project), type_name)
    ctx = api._artifact_ctx()
    return [n for n, _ in ctx.registry.collections(_project(api, project), type_name)]


def artifact_exists(api: Any, name: str) -> bool:
    try:
        artifact(api, name)
    except (ArtifactNotFoundError, ValueError):
        return False
    return True


def run_versions(root: Any, events: list[dict[str, Any]]) -> dict[str, list[Artifact]]:
    """The versions a run ``logged`` and ``used``, from its ARTIFACT records' fields (``action``,
    ``project``, ``name``, ``version``), in the order it first did so, read from the folder
    ``root``'s registry; a version deleted since is left out."""
    ctx = context(root)
    out: dict[str, list[Artifact]] = {"logged": [], "used": []}
    seen: set[tuple[str, str, str, int]] = set()
    for ev in events:
        if ev.get("action") in ("updated", "deleted"):
            continue  # edits, not lineage
        which = "used" if ev.get("action") == "used" else "logged"
        try:
            key = (which, str(ev["project"]), str(ev["name"]), int(ev["version"]))
        except (KeyError, TypeError, ValueError):
            continue  # a malformed record: nothing to name
        if key in seen:
            continue
        seen.add(key)
        try:
            out[which].append(fetch(ctx, key[1], f"{key[2]}:v{key[3]}", None))
        except ArtifactNotFoundError:
            pass
    return out


def run_for(art: Artifact, run_path: str) -> Any:
    """The ``Api`` run at ``entity/project/run_id`` in the artifact's root, or None if it is gone."""
    from ..api import Api
    from ..errors import UsageError

    try:
        return Api(root=art._ctx.root).run(run_path)
    except (UsageError, ValueError):
        return None


def ctx_for(root: Any) -> Any:
    return context(root)


__all__ = ["artifact", "artifact_collections", "artifact_types", "artifact_versions", "check_name"]
