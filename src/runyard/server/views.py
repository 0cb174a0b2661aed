"""Saved workspace views (docs/ui.md): a project's layouts, named, kept on the server so a link
with ``?view=NAME`` opens the same workspace for everyone.

A view is a JSON document under ``<root>/.runyard/views/<project>/<name>.json`` (user data, not
part of the index: a reindex keeps it), written whole through ``atomic_write``. Each save bumps
its ``version``. A save names the version it was edited from (``base_version``); when someone
else saved in between, the later save still wins, and the answer says whose save it replaced so
the editor can say so; the earlier editor sees the higher version on its next read.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from fastapi import Body, FastAPI
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..types.base import atomic_write
from .errors import ApiError

MAX_VIEW_BYTES = 1_000_000


class PanelDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=40)
    keys: list[str] = Field(default_factory=list, max_length=50)
    title: str | None = Field(default=None, max_length=200)
    x_axis: str | None = Field(default=None, max_length=200)
    smoothing: float | None = Field(default=None, ge=0, lt=1)
    log_y: bool | None = None
    y_min: float | None = None
    y_max: float | None = None
    max_runs: int | None = Field(default=None, ge=1, le=1000)
    width: int = Field(default=1, ge=1, le=3)
    span: float | None = Field(default=None, ge=0.25, le=12, description="a width dragged freely, in columns")
    height: int | None = Field(default=None, ge=120, le=4000, description="pixels")
    style: Literal["exact", "mean"] | None = None


class SectionDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    collapsed: bool = False
    panels: list[PanelDoc] = Field(default_factory=list, max_length=2000)


class LayoutDoc(BaseModel):
    """What a view holds: sections of panels in order, and workspace settings (x-axis, smoothing,
    grouping, runs per chart, run colours...) as free JSON."""

    model_config = ConfigDict(extra="forbid")
    sections: list[SectionDoc] = Field(default_factory=list, max_length=500)
    settings: dict[str, Any] = Field(default_factory=dict)


class SaveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    layout: LayoutDoc
    base_version: int | None = Field(default=None, ge=0, description="the version this edit started from")


def _check_name(kind: str, name: str) -> str:
    if not name or len(name) > 120 or name.startswith(".") or "/" in name or "\\" in name or "\x00" in name:
        raise ApiError(400, f"{kind} name {name!r} is not allowed: 1-120 characters, no '/', not starting with '.'")
    return name


class ViewStore:
    """The one owner of the views folder; a lock makes read-bump-write of a version atomic."""

    def __init__(self, root: Path) -> None:
        self.dir = root / ".runyard" / "views"
        self._lock = threading.Lock()

    def _path(self, project: str, name: str) -> Path:
        folder = self.dir / quote(_check_name("project", project), safe="")
        return folder / (quote(_check_name("view", name), safe="") + ".json")

    def read(self, project: str, name: str) -> dict[str, Any]:
        path = self._path(project, name)
        try:
            doc: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise ApiError(404, f"project {project!r} has no saved view {name!r}") from None
        except (OSError, ValueError) as exc:
            raise ApiError(500, f"the saved view {name!r} cannot be read: {exc}") from None
        return doc

    def list(self, project: str) -> list[dict[str, Any]]:
        folder = self.dir / quote(_check_name("project", project), safe="")
        out = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                doc = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            out.append({k: doc.get(k) for k in ("name", "version", "updated_at")})
        return out

    def save(self, project: str, name: str, body: SaveBody) -> dict[str, Any]:
        path = self._path(project, name)
        with self._lock:
            try:
                old = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                old = None
            version = int(old["version"]) + 1 if old else 1
            doc = {"name": name, "project": project, "version": version, "updated_at": time.time(),
                   "layout": body.layout.model_dump(exclude_none=True)}
            data = json.dumps(doc, separators=(",", ":")).encode()
            if len(data) > MAX_VIEW_BYTES:
                raise ApiError(413, f"a view holds at most {MAX_VIEW_BYTES} bytes; this one is {len(data)}")
            atomic_write(path, data)
        replaced = None
        if old and body.base_version is not None and int(old["version"]) != body.base_version:
            replaced = {"version": old["version"], "updated_at": old.get("updated_at")}
        return {"ok": True, "name": name, "version": version, "updated_at": doc["updated_at"], "replaced": replaced}

    def delete(self, project: str, name: str) -> None:
        path = self._path(project, name)
        with self._lock:
            try:
                path.unlink()
            except FileNotFoundError:
                raise ApiError(404, f"project {project!r} has no saved view {name!r}") from None


EXAMPLE = {"layout": {"sections": [{"name": "train", "panels": [
    {"id": "train/loss", "kind": "line", "keys": ["train/loss"]}]}]}, "base_version": 1}


def install(app: FastAPI, root: Path) -> None:
    views = ViewStore(root)

    @app.get("/api/projects/{project}/views", tags=["views"],
             description="The project's saved views: name, version, updated_at.")
    def list_views(project: str) -> dict[str, Any]:
        return {"views": views.list(project)}

    @app.get("/api/projects/{project}/views/{name}", tags=["views"], description="A saved view with its layout.")
    def get_view(project: str, name: str) -> dict[str, Any]:
        return views.read(project, name)

    @app.put("/api/projects/{project}/views/{name}", tags=["views"],
             description="Save a view (a new version). Give base_version, the version the edit started from: when "
                         "someone saved since, this save still wins and `replaced` names the version it replaced.")
    def save_view(project: str, name: str, body: dict[str, Any] = Body(..., examples=[EXAMPLE])  # noqa: B008
                  ) -> dict[str, Any]:
        try:
            parsed = SaveBody.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ()))
            raise ApiError(400, f"invalid view: {where}: {first.get('msg')}"
                                + (f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else "")) from None
        return views.save(project, name, parsed)

    @app.delete("/api/projects/{project}/views/{name}", tags=["views"])
    def delete_view(project: str, name: str) -> dict[str, Any]:
        views.delete(project, name)
        return {"ok": True}
