"""Artifacts read from a runyard server: ``Api(base_url=...).artifact("project/name:v3")``.

A ``RemoteArtifact`` has the read side of ``Artifact`` (name, version, aliases, metadata,
``files()``, ``get_entry()``, ``download()``, ``file()``, ``verify()``, ``logged_by()``,
``used_by()``) over the HTTP routes of
docs/artifacts.md, "HTTP API". Files are streamed to a temporary name, their SHA-256 checked,
then renamed; a file already there with the right hash is not fetched again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from ..store.blobs import CHUNK, sha256_file
from .manifest import ManifestEntry
from .names import ArtifactNotFoundError, parse_spec


def _q(part: str) -> str:
    return urllib.parse.quote(part, safe="")


class RemoteArtifact:
    def __init__(self, client: Any, doc: dict[str, Any]) -> None:
        self._client = client
        self._doc = doc
        self.project: str = doc["project"]
        self.type: str = doc["type"]
        self.version = f"v{doc['version']}"
        self.name = f"{doc['name']}:{self.version}"
        self.aliases: list[str] = list(doc.get("aliases") or [])
        self.metadata: dict[str, Any] = dict(doc.get("metadata") or {})
        self.description: str | None = doc.get("description")
        self.digest: str = doc["digest"]
        self.size: int = int(doc["size"])
        self.created_at: float | None = doc.get("created_at")
        self._listed = doc.get("manifest")
        self._base = f"/api/projects/{_q(self.project)}/artifacts/{_q(doc['name'])}/{self.version}"

    @property
    def _entries(self) -> list[ManifestEntry]:
        if self._listed is None:  # a version from a listing: its manifest on first use
            self._listed = self._client.get(self._base)["manifest"]
        return [ManifestEntry.from_json(e["path"], e) for e in self._listed]

    @property
    def collection_name(self) -> str:
        return str(self._doc["name"])

    @property
    def qualified_name(self) -> str:
        return f"{self._doc.get('entity') or 'local'}/{self.project}/{self.name}"

    def logged_by(self) -> Any:
        """The run that logged this version (an ``Api`` run over HTTP), or None."""
        from ..api.http import HttpRun

        ref = self._doc.get("logged_by")
        return HttpRun(self._client, ref["project"], ref["run_id"]) if ref else None

    def used_by(self) -> list[Any]:
        """The runs that used this version."""
        from ..api.http import HttpRun

        return [HttpRun(self._client, r["project"], r["run_id"]) for r in self._doc.get("used_by") or []]

    def get_entry(self, path: str) -> ManifestEntry:
        for e in self._entries:
            if e.path == path:
                return e
        raise KeyError(f"{self.name!r} has no file {path!r}")

    def __repr__(self) -> str:
        return f"<RemoteArtifact {self.project}/{self.name} ({self.type})>"

    def files(self) -> list[ManifestEntry]:
        return list(self._entries)

    def _fetch(self, entry: ManifestEntry, target: Path) -> None:
        url = self._client.url(self._base + "/files/" + "/".join(_q(p) for p in entry.path.split("/")))
        req = urllib.request.Request(url)
        if self._client.api_key:
            req.add_header("Authorization", f"Bearer {self._client.api_key}")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req, timeout=self._client.timeout) as resp:
                while chunk := resp.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
            if h.hexdigest() != entry.digest:
                raise OSError(f"{entry.path} arrived with sha256 {h.hexdigest()}, not {entry.digest}: not written")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def download(self, root: str | os.PathLike[str] | None = None) -> str:
        folder = Path(root) if root is not None else Path.cwd() / "artifacts" / self.name
        for entry in self._entries:
            if entry.ref is not None:
                continue  # a reference's bytes are not on the server
            target = folder / entry.path
            if target.is_file() and target.stat().st_size == entry.size and sha256_file(target)[0] == entry.digest:
                continue
            self._fetch(entry, target)
        return str(folder)

    def file(self, root: str | os.PathLike[str] | None = None) -> str:
        if len(self._entries) != 1:
            raise ValueError(f"file() is for artifacts of one file; {self.name!r} has {len(self._entries)}")
        return str(Path(self.download(root)) / self._entries[0].path)

    def verify(self, root: str | os.PathLike[str]) -> None:
        bad = [e.path for e in self._entries if e.ref is None and (
            not (Path(root) / e.path).is_file() or sha256_file(Path(root) / e.path)[0] != e.digest)]
        if bad:
            raise ValueError(f"{root} does not match {self.name!r}: {', '.join(bad)}")


def _version_doc(client: Any, project: str, name: str, alias: str) -> dict[str, Any]:
    from ..api.http import ServerError

    try:
        doc: dict[str, Any] = client.get(f"/api/projects/{_q(project)}/artifacts/{_q(name)}/{_q(alias)}")
    except ServerError as exc:
        if exc.status == 404:
            raise ArtifactNotFoundError(str(exc)) from None
        raise
    return doc


def remote_artifact(api: Any, name: str, type: str | None = None) -> RemoteArtifact:
    spec = parse_spec(name)
    if spec.project is None:
        raise ValueError(f"name the project: 'project/{spec.name}:{spec.alias}'")
    doc = _version_doc(api._http, spec.project, spec.name, spec.alias)
    if type is not None and doc["type"] != type:
        raise ValueError(f"artifact {spec.name!r} has type {doc['type']!r}, not {type!r}")
    return RemoteArtifact(api._http, doc)


def remote_version(client: Any, project: str, name: str, version: int) -> RemoteArtifact:
    """Version ``version`` of ``project``'s artifact ``name`` on the server of ``client``."""
    return RemoteArtifact(client, _version_doc(client, project, name, f"v{version}"))


def remote_versions(api: Any, type_name: str | None, name: str) -> list[RemoteArtifact]:
    """Every version of ``project/name`` on the server, oldest first (manifests read on use)."""
    from ..api.http import ServerError

    spec = parse_spec(name)
    if spec.project is None:
        raise ValueError(f"name the project: 'project/{spec.name}'")
    try:
        docs = api._http.get(f"/api/projects/{_q(spec.project)}/artifacts/{_q(spec.name)}/versions")["versions"]
    except ServerError as exc:
        if exc.status == 404:
            raise ArtifactNotFoundError(str(exc)) from None
        raise
    if type_name and docs and docs[0]["type"] != type_name:
        raise ValueError(f"artifact {spec.name!r} has type {docs[0]['type']!r}, not {type_name!r}")
    return [RemoteArtifact(api._http, d) for d in docs]


def remote_types(api: Any, project: str) -> list[str]:
    return [t["type"] for t in api._http.get(f"/api/projects/{_q(project)}/artifact-types")["types"]]


def remote_collections(api: Any, project: str, type_name: str | None) -> list[str]:
    params = {"type": type_name} if type_name else {}
    return [c["name"] for c in api._http.get(f"/api/projects/{_q(project)}/artifacts", **params)["collections"]]
