"""The read API (docs/read-api.md): ``runyard.Api()`` over a local folder of runs, or over HTTP with
``Api(base_url=...)`` / ``$RUNYARD_BASE_URL`` (see ``api.http``); both answer alike."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .. import settings as settings_mod
from ..errors import UsageError
from ..filters import evaluate, sort_docs
from ..filters import parse as parse_filter
from ..log.reader import LOG_NAME
from .http import HttpClient, HttpRun, list_runs
from .project import Project
from .run import ApiRun, RunFile

__all__ = ["Api", "ApiRun", "HttpRun", "Project", "RunFile"]


class Api:
    """Read runs from ``root`` (default ``$RUNYARD_DIR`` or ``./runyard``), or from the server at
    ``base_url`` (default ``$RUNYARD_BASE_URL``) when one is given."""

    def __init__(self, root: str | os.PathLike[str] | None = None, base_url: str | None = None,
                 overrides: dict[str, Any] | None = None, timeout: float | None = None,
                 api_key: str | None = None) -> None:
        resolved = settings_mod.resolve({"dir": os.fspath(root) if root is not None else None})
        if root is not None:
            base_url = base_url or None  # an explicit folder wins over $RUNYARD_BASE_URL
        elif base_url is None:
            base_url = resolved["base_url"] or None
        self.base_url = base_url
        if base_url and not (api_key or resolved["api_key"]):  # the key `runyard login` stored for it
            from ..sdk.online import server_and_key

            api_key = server_and_key({"base_url": base_url})[1]
        self._http = HttpClient(base_url, api_key or resolved["api_key"] or None, timeout or 30.0) if base_url else None
        self.root = Path(resolved["dir"]).expanduser()
        self.default_entity = "local"

    def flush(self) -> None:
        """wandb's way to drop cached runs; this ``Api`` caches none (each ``run()`` and ``runs()``
        reads them anew), so there is nothing to drop."""

    def _split(self, path: str, want_run: bool) -> tuple[str, ...]:
        if not isinstance(path, str) or not path.strip("/"):
            raise ValueError(f"expected a path like 'project' or 'entity/project', got {path!r}")
        parts = [p for p in path.strip("/").split("/") if p]
        if want_run:
            if len(parts) == 4 and parts[2] == "runs":  # wandb's "entity/project/runs/id"
                parts = [parts[0], parts[1], parts[3]]
            if len(parts) == 2:
                parts = [self.default_entity, *parts]
            if len(parts) != 3:
                raise ValueError(f"expected a run path like 'entity/project/run_id' or 'project/run_id', got {path!r}")
        else:
            if len(parts) == 1:
                parts = [self.default_entity, *parts]
            if len(parts) != 2:
                raise ValueError(f"expected a project path like 'entity/project' or 'project', got {path!r}")
        return tuple(parts)

    def _on_server(self, entity: str, project: str) -> str:
        """How a server with keys is asked for ``entity``'s project: ``entity:project`` (project
        names are unique per entity there; docs/team-server.md, "Projects and entities")."""
        if self._http is not None and self._http.api_key and entity not in ("", "local") and ":" not in project:
            return f"{entity}:{project}"
        return project

    def projects(self, entity: str | None = None, per_page: int = 200) -> list[Project]:
        """The projects that hold at least one run (of ``entity``'s, when given): each its name as
        a ``str``, with wandb's ``name``, ``entity``, ``path`` and ``url``."""
        if self._http is not None:
            base = self._http.base_url
            return [Project(p["name"], p.get("entity") or "local",
                            f"{base}/p/{self._on_server(p.get('entity') or 'local', p['name'])}")
                    for p in self._http.get("/api/projects")["projects"]
                    if p["runs"] and (entity is None or p.get("entity") == entity)]
        if not self.root.is_dir():
            return []
        # a folder's projects are not kept by entity: each is listed under the one asked for
        return [Project(name, entity or self.default_entity) for name in sorted(
            p.name for p in self.root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and any((r / LOG_NAME).is_file() for r in p.iterdir())
        )]

    def project(self, name: str, entity: str | None = None) -> Project:
        """One project by name (``entity/name`` also), as ``projects()`` lists it."""
        if "/" in name:
            entity, name = self._split(name, want_run=False)
        found = [p for p in self.projects(entity) if p == name]
        if not found:
            raise UsageError(f"no project {name!r}" + (f" of entity {entity!r}" if entity else "") +
                             (f" on {self.base_url}" if self._http is not None else f" under {self.root}"))
        if len(found) > 1:
            raise UsageError(f"projects named {name!r} in entities {', '.join(p.entity for p in found)}: "
                             "name one, as 'entity/name'")
        return found[0]

    def run(self, path: str) -> ApiRun | HttpRun:
        """One run by ``entity/project/run_id`` (``run.path`` of a live run works too)."""
        entity, project, run_id = self._split(path, want_run=True)
        if self._http is not None:
            return HttpRun(self._http, self._on_server(entity, project), run_id, entity)
        folder = self.root / project / run_id
        if not (folder / LOG_NAME).is_file():
            raise UsageError(f"no run {run_id!r} in project {project!r} under {self.root}")
        return ApiRun(folder, entity)

    def runs(self, path: str | None = None, filters: dict[str, Any] | None = None,
             order: str | list[str] | None = "-created_at", per_page: int = 50) -> list[Any]:
        """Runs of a project matching ``filters`` (Mongo-style), sorted by ``order``."""
        if path is None:
            projects = self.projects()
            if len(projects) != 1:
                raise ValueError(f"runs(): name a project; {self.root} holds {projects or 'none'}")
            path = projects[0]
        entity, project = self._split(path, want_run=False)
        if self._http is not None:
            return list_runs(self._http, self._on_server(entity, project), entity, filters, order, max(per_page, 100))
        node = parse_filter(filters)  # a malformed filter is refused even where no run exists
        folder = self.root / project
        if not folder.is_dir():
            return []
        runs = []
        for sub in sorted(folder.iterdir()):
            if (sub / LOG_NAME).is_file():
                runs.append(ApiRun(sub, entity))
        docs = [r.document() for r in runs]
        by_id = {r.id: r for r in runs}
        keep = [d for d in docs if evaluate(node, d)]
        return [by_id[d["id"]] for d in sort_docs(keep, order)]

    def sweep(self, path: str) -> Any:
        """A sweep by ``[entity/project/]sweep_id`` (docs/sweeps.md, "Reading a sweep")."""
        if self._http is not None:
            raise UsageError("sweeps are kept in the runs folder they were made in: read this one with "
                             "runyard.Api(root=FOLDER) there (its runs are on this server too)")
        from .sweep import read_sweep

        return read_sweep(self.root, path, self.default_entity)

    # -- artifacts (docs/artifacts.md) -------------------------------------------------------

    def _artifact_ctx(self) -> Any:
        if self._http is not None:
            raise UsageError("this reads a local folder's artifacts; over Api(base_url=...) use artifact(), "
                             "artifacts(), artifact_types() and artifact_collections()")
        from ..artifacts.context import context

        return context(self.root)

    def artifact(self, name: str, type: str | None = None) -> Any:
        """A version by ``"[entity/]project/name:alias_or_version"`` (``:latest`` when none)."""
        from ..artifacts import api

        return api.artifact(self, name, type)

    def artifacts(self, type_name: str, name: str, per_page: int = 50) -> list[Any]:
        """Every version of the collection ``"[entity/]project/name"``, oldest first."""
        from ..artifacts import api

        return api.artifact_versions(self, type_name, name)

    def artifact_versions(self, type_name: str, name: str, per_page: int = 50) -> list[Any]:
        from ..artifacts import api

        return api.artifact_versions(self, type_name, name)

    def artifact_types(self, project: str | None = None) -> list[str]:
        from ..artifacts import api

        return api.artifact_types(self, project)

    def artifact_collections(self, project_name: str | None = None, type_name: str | None = None) -> list[str]:
        from ..artifacts import api

        return api.artifact_collections(self, project_name, type_name)

    def artifact_exists(self, name: str) -> bool:
        from ..artifacts import api

        return api.artifact_exists(self, name)
