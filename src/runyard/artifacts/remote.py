"""Sending a stored artifact version to a team server (online mode and ``runyard sync``).

The version is already whole in the local blob store (files, then manifest: ``upload.py``).
Sending it: ask the server which of its blobs it lacks, upload those (a file larger than ``PART``
goes as parts the server joins and checks), then ``commit``, which answers the server's version
number. Every step is idempotent (blobs are named by their hash, the server numbers a manifest
digest once), so a retry or a later ``runyard sync`` of the same version costs one
``missing`` call and one ``commit``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..log.reader import LOG_NAME, RunFolder
from ..log.records import Kind
from ..sdk.sender import Client, Refused
from ..store.blobs import BlobNotFoundError, BlobStore
from .manifest import Manifest, ManifestEntry

PART = 32 << 20
"""Bytes per request for big files (the server holds one request body in memory)."""
_MISSING_BATCH = 5000


def _q(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def _missing(client: Client, digests: list[str]) -> list[str]:
    out: list[str] = []
    for i in range(0, len(digests), _MISSING_BATCH):
        out += client.json("POST", "/api/blobs/missing", {"hashes": digests[i:i + _MISSING_BATCH]})["missing"]
    return out


def _put(client: Client, digest: str, data: bytes) -> None:
    status, doc = client.request("PUT", f"/api/blobs/{digest}", data, {"Content-Type": "application/octet-stream"})
    if status >= 400:
        raise Refused(f"{client.base_url} refused blob {digest}: {doc.get('error')}")


def _send_blob(client: Client, blobs: BlobStore, digest: str, progress: Callable[[int], None] | None) -> None:
    size = blobs.size(digest)
    with blobs.open(digest) as f:
        if size <= PART:
            _put(client, digest, f.read())
            if progress is not None:
                progress(size)
            return
        parts: list[str] = []
        while chunk := f.read(PART):  # one part in memory at a time
            part = hashlib.sha256(chunk).hexdigest()
            if _missing(client, [part]):
                _put(client, part, chunk)
            parts.append(part)
            if progress is not None:
                progress(len(chunk))
    client.json("POST", f"/api/artifacts/blobs/{digest}/compose", {"parts": parts, "size": size})


def send_version(client: Client, blobs: BlobStore, project: str, name: str, type_: str, digest: str,
                 entity: str | None = None, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Upload what the server lacks of version ``digest`` (its manifest's sha256) and commit it;
    returns ``{version, created}`` as the server numbered it. Raises ``Retry``/``Refused``."""
    manifest = Manifest.from_bytes(blobs.read_bytes(digest))
    wanted = list(dict.fromkeys([e.digest for e in manifest if e.ref is None] + [digest]))
    for d in _missing(client, wanted):  # the manifest last: files first, as locally
        _send_blob(client, blobs, d, progress)
    body: dict[str, Any] = {"type": type_, "digest": digest}
    if entity:
        body["entity"] = entity
    return client.json("POST", f"/api/projects/{_q(project)}/artifacts/{_q(name)}/commit", body)


def logged_versions(folder: Path) -> list[dict[str, Any]]:
    """The versions a run's log says it logged or linked (one per collection and digest)."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for _, record in RunFolder(folder).records():
        if record[0] == Kind.ARTIFACT and len(record) > 1 and isinstance(record[1], dict):
            d = record[1]
            if d.get("action") in ("logged", "linked") and isinstance(d.get("digest"), str):
                seen.setdefault((str(d.get("project")), str(d.get("name")), d["digest"]), d)
    return list(seen.values())


SENT_NAME = "artifacts-sent.json"


def _key(project: str, name: str, digest: str) -> str:
    return f"{project}/{name}/{digest}"


def _state(folder: Path) -> dict[str, Any]:
    """``{"sent": [keys], "checked": log size}`` (``checked``: every version the log held at that
    size was sent, so a sync need not read an unchanged log again)."""
    try:
        doc = json.loads((folder / SENT_NAME).read_text())
        return {"sent": [str(k) for k in doc.get("sent", [])], "checked": int(doc.get("checked", -1))}
    except (OSError, ValueError, TypeError, AttributeError):
        return {"sent": [], "checked": -1}


def _save_state(folder: Path, state: dict[str, Any]) -> None:
    tmp = folder / f".{SENT_NAME}.tmp"
    tmp.write_text(json.dumps({"sent": sorted(set(state["sent"])), "checked": state["checked"]}))
    tmp.replace(folder / SENT_NAME)


def sent_keys(folder: Path) -> set[str]:
    """The versions of this run already sent to the server (``artifacts-sent.json``)."""
    return set(_state(folder)["sent"])


def mark_sent(folder: Path, project: str, name: str, digest: str) -> None:
    state = _state(folder)
    state["sent"].append(_key(project, name, digest))
    _save_state(folder, state)


def _log_size(folder: Path) -> int:
    try:
        return (folder / LOG_NAME).stat().st_size
    except OSError:
        return -2


def unsent_versions(folder: Path, record: bool = True) -> int:
    """How many versions this run's log logged that were not sent (no log read when nothing
    changed since the last check; ``record`` notes a check that found none)."""
    state = _state(folder)
    size = _log_size(folder)
    if state["checked"] == size:
        return 0
    done = set(state["sent"])
    left = sum(_key(str(d["project"]), str(d["name"]), d["digest"]) not in done for d in logged_versions(folder))
    if left == 0 and record:
        state["checked"] = size
        _save_state(folder, state)
    return left


def send_logged(client: Client, blobs: BlobStore, folder: Path, entity: str | None) -> tuple[int, list[str]]:
    """Send every version a run folder's log logged (``runyard sync``), but those already sent
    (``artifacts-sent.json`` beside the log, so a repeat sends nothing). Returns how many were
    sent and the problems (a version whose files are gone locally)."""
    done = sent_keys(folder)
    sent, problems = 0, []
    for d in logged_versions(folder):
        key = _key(str(d["project"]), str(d["name"]), d["digest"])
        if key in done:
            continue
        if not blobs.has(d["digest"]):
            problems.append(f"artifact {d['project']}/{d['name']}:v{d.get('version')}: its manifest is not in "
                            f"{blobs.url} (removed?); not sent")
            continue
        try:
            send_version(client, blobs, str(d["project"]), str(d["name"]), str(d["type"]), d["digest"], entity)
        except BlobNotFoundError as exc:
            problems.append(f"artifact {d['project']}/{d['name']}:v{d.get('version')}: {exc}; not sent")
            continue
        mark_sent(folder, str(d["project"]), str(d["name"]), d["digest"])
        sent += 1
    if not problems:
        unsent_versions(folder)  # records the log size checked
    return sent, problems



def fetch_version(base_url: str, api_key: str, blobs: BlobStore, project: str, name: str,
                  alias: str) -> tuple[dict[str, Any], Manifest, Callable[[list[ManifestEntry]], None]] | None:
    """A version as the team server knows it (online ``use_artifact``): its doc with the server's
    number, its manifest (kept in the local blob store), and a function that pulls the files it is
    asked for into the local blob store (streamed, each hash checked). None when the server has
    no such version."""
    from ..api.http import HttpClient, ServerError
    from .http import RemoteArtifact

    http = HttpClient(base_url, api_key)
    try:
        doc = http.get(f"/api/projects/{_q(project)}/artifacts/{_q(name)}/{_q(alias)}")
    except ServerError as exc:
        if exc.status == 404:
            return None
        raise
    manifest = Manifest({e["path"]: ManifestEntry.from_json(e["path"], e) for e in doc["manifest"]})
    data = manifest.to_bytes()
    if hashlib.sha256(data).hexdigest() != doc["digest"]:
        raise ValueError(f"the server's manifest of {name}:v{doc['version']} does not hash to its digest")
    blobs.put_bytes(data)
    remote = RemoteArtifact(http, doc)

    def pull(entries: list[ManifestEntry]) -> None:
        stored = [e for e in entries if e.ref is None]
        for digest in blobs.missing(e.digest for e in stored):
            entry = next(e for e in stored if e.digest == digest)
            with tempfile.TemporaryDirectory(prefix=".runyard-pull-") as tmp:
                target = Path(tmp) / "blob"
                remote._fetch(entry, target)  # streamed, its sha256 checked before it is kept
                blobs.put_file(target, digest=None)

    version = {k: doc[k] for k in ("project", "name", "type", "version", "digest", "size", "files",
                                   "description", "metadata", "created_at", "aliases") if k in doc}
    return version, manifest, pull
