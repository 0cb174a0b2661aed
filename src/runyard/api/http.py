"""The read API over HTTP: ``runyard.Api(base_url=URL)`` against a ``runyard ui`` / ``runyard server``.

Uses only the standard library (urllib), so reading from a server needs no extra. Runs read this
way answer like runs read from a folder (``ApiRun``): config, summary (editable), state, metadata,
``history``, ``scan_history``, ``series``, files. Media values in history rows come back as their
typed references with a ``url`` to fetch the file, not as local views.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import RunyardError, UsageError
from ..jsonvalue import decode, encode
from .run import ApiSummary, RunReads, iso
from .user import run_user


class ServerError(RunyardError):
    """The server answered with an error (its message and HTTP status are in the text)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class HttpClient:
    """JSON over HTTP with the server's one error shape turned into ``ServerError``."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def url(self, path: str, **params: Any) -> str:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    def request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        data = None if body is None else json.dumps(body, allow_nan=False).encode()
        req = urllib.request.Request(self.url(path, **params), data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.api_key:
            req.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            try:
                message = json.loads(e.read()).get("error", e.reason)
            except (ValueError, AttributeError):
                message = e.reason
            raise ServerError(f"{self.base_url}: {message} (HTTP {e.code})", e.code) from None
        except urllib.error.URLError as e:
            raise UsageError(f"cannot reach the runyard server at {self.base_url} — {e.reason}") from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, **params)

    def download(self, path: str) -> bytes:
        req = urllib.request.Request(self.url(path))
        if self.api_key:  # a team server asks for the key on files too
            req.add_header("Authorization", f"Bearer {self.api_key}")
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return bytes(resp.read())


def _q(part: str) -> str:
    return urllib.parse.quote(part, safe="")


class HttpRun(RunReads):
    """A run read from a server; the same attributes and methods as ``ApiRun``."""

    def __init__(self, client: HttpClient, project: str, run_id: str, entity: str = "local",
                 doc: dict[str, Any] | None = None) -> None:
        self._client = client
        self._base = f"/api/runs/{_q(project)}/{_q(run_id)}"
        doc = doc if doc is not None else client.get(self._base)
        self._doc = doc
        self.id: str = doc["id"]
        self.project: str = project.split(":", 1)[-1]  # a team server's "entity:name" (Api._on_server) names it
        self.entity = entity
        self.name: str = doc["name"]
        self.tags: list[str] = list(doc.get("tags") or [])
        self.notes: str | None = doc.get("notes")
        self.group: str | None = doc.get("group")
        self.job_type: str | None = doc.get("job_type")
        self.user = run_user(doc.get("user"))
        self.config: dict[str, Any] = decode(doc.get("config") or {})
        self.summary = ApiSummary(self, decode(doc.get("summary") or {}))
        self.url = f"{client.base_url}/p/{_q(project)}/r/{_q(run_id)}"
        self.dir = None

    def _reload(self) -> None:
        self._doc = self._client.get(self._base)
        self.summary = ApiSummary(self, decode(self._doc.get("summary") or {}))

    path = property(lambda self: [self.entity, self.project, self.id])
    display_name = property(lambda self: self.name)
    state = property(lambda self: self._doc["state"])
    created_at = property(lambda self: iso(self._doc["created_at"]))
    runtime = property(lambda self: self._doc.get("runtime") or 0.0)
    lastHistoryStep = property(lambda self: self._doc.get("last_step", -1))  # noqa: N815 - wandb's name
    history_rows = property(lambda self: self._doc.get("rows", 0))
    exit_code = property(lambda self: self._doc.get("exit_code"))
    error = property(lambda self: self._doc.get("error"))

    @property
    def metadata(self) -> dict[str, Any]:
        if "metadata" not in self._doc:  # a run listed by runs() carries no metadata: fetch it once
            self._doc = self._client.get(self._base)
        return dict(self._doc.get("metadata") or {})

    @property
    def key_kinds(self) -> dict[str, list[str]]:
        return {k["key"]: list(k["kinds"]) for k in self._client.get(f"{self._base}/keys")["keys"]}

    def __repr__(self) -> str:
        return f"<HttpRun {'/'.join(self.path)} ({self.state})>"

    def scan_history(self, keys: list[str] | None = None, page_size: int = 1000, min_step: int = 0,
                     max_step: int | None = None) -> Iterator[dict[str, Any]]:
        """Every row, unsampled, fetched a page at a time (as ``ApiRun.scan_history``)."""
        if page_size < 1:
            raise ValueError(f"scan_history(): page_size must be positive, got {page_size}")
        after = 0
        while True:
            page = self._client.get(
                f"{self._base}/history", after=after, page_size=page_size, min_step=min_step,
                max_step=max_step, keys=",".join(keys) if keys else None,
            )
            for row in page["rows"]:
                row = decode(row)
                if keys is not None:
                    row = {k: row[k] for k in ("_step", *keys)}
                yield self._with_urls(row)
            if not page["more"]:
                return
            after = page["next"]

    def _with_urls(self, value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: self._with_urls(v) for k, v in value.items()}
            if isinstance(value.get("_type"), str) and isinstance(value.get("path"), str):
                out["url"] = self._client.url(f"{self._base}/files/{value['path']}")
            return out
        if isinstance(value, list):
            return [self._with_urls(v) for v in value]
        return value

    def series(self, key: str, x_axis: str = "_step", samples: int = 1000,
               x_range: tuple[float, float] | None = None) -> dict[str, Any]:
        """What a chart draws: per bucket x, min, max, mean, first, last, count (docs/http-api.md, "Series")."""
        x_min, x_max = x_range if x_range is not None else (None, None)
        doc = self._client.get(f"{self._base}/series", key=key, x_axis=x_axis, max_points=samples,
                               x_min=x_min, x_max=x_max)
        return dict(decode(doc["series"][0]))

    def output(self) -> str:
        """The captured console output."""
        parts: list[str] = []
        after = -1
        while True:
            page = self._client.get(f"{self._base}/output", after=after, limit=1000)
            parts.extend(item["text"] for item in page["items"])
            if not page.get("more"):
                return "".join(parts)
            after = page["next"]

    def logged_artifacts(self) -> list[Any]:
        """The artifact versions this run logged, as ``ApiRun.logged_artifacts``."""
        return self._artifacts("logged")

    def used_artifacts(self) -> list[Any]:
        """The artifact versions this run used, as ``ApiRun.used_artifacts``."""
        return self._artifacts("used")

    def _artifacts(self, which: str) -> list[Any]:
        from ..artifacts.http import remote_version
        from ..artifacts.names import ArtifactNotFoundError

        out = []
        for v in self._client.get(f"{self._base}/artifacts")[which]:
            try:
                out.append(remote_version(self._client, v["project"], v["name"], int(v["version"])))
            except ArtifactNotFoundError:
                pass  # deleted since, as a local run's list leaves it out
        return out

    def files(self) -> list[RemoteFile]:
        """The run's media and files: ``{path, size, url}`` each, with wandb's ``File`` surface."""
        return [RemoteFile(self, dict(f, url=self._client.base_url + f["url"]))
                for f in self._client.get(f"{self._base}/files")["files"]]

    def file(self, name: str) -> RemoteFile:
        """One file of the run by its path (``run.file(name).download()``, as in wandb)."""
        return RemoteFile(self, {"path": name, "url": self._client.url(f"{self._base}/files/{name}")})

    def download(self, path: str) -> bytes:
        """The bytes of one of the run's files (a media ``path`` from a reference)."""
        return self._client.download(f"{self._base}/files/{path}")

    def _save_summary(self, summary: ApiSummary) -> None:
        changed = {k: v for k, v in dict.items(summary) if k not in summary._saved or summary._saved[k] is not v}
        deleted = [k for k in summary._saved if k not in summary]
        if changed or deleted:
            body = {"update": encode(changed), "delete": deleted}
            answer = self._client.request("PATCH", f"{self._base}/summary", body=body)
            dict.clear(summary)
            dict.update(summary, decode(answer["summary"]))
        summary._saved = dict(summary)

    def update(self) -> None:
        """Persist edits of the name, tags, notes and summary of a finished run (config edits need
        a local folder: ``runyard.Api(root=FOLDER)`` on the server's folder)."""
        d = self._doc
        if self.config != decode(d.get("config") or {}):
            raise UsageError("over HTTP the name, tags, notes and summary can be edited, not the config; edit it "
                             "with runyard.Api(root=FOLDER) on the server's folder")
        now = {"name": self.name, "tags": list(self.tags), "notes": self.notes}
        before = {"name": d["name"], "tags": d.get("tags") or [], "notes": d.get("notes")}
        changed = {k: v for k, v in now.items() if v != before[k]}
        if changed:
            answer = self._client.request("PATCH", self._base, body=changed)
            self._doc = {**d, **answer["run"]}
        self.summary.update()

    def delete(self, delete_artifacts: bool = False) -> None:
        """Delete this run on the server, for good (docs/read-api.md, "Deleting a run"); a run
        still running, or one that logged artifact versions, is refused (``ServerError``, 409)."""
        self._client.request("DELETE", self._base, delete_artifacts=str(bool(delete_artifacts)).lower())



def list_runs(client: HttpClient, project: str, entity: str, filters: dict[str, Any] | None,
              order: str | list[str] | None, per_page: int) -> list[HttpRun]:
    order_text = ",".join(order) if isinstance(order, list) else order
    out: list[HttpRun] = []
    offset = 0
    while True:
        page = client.get(f"/api/projects/{_q(project)}/runs", order=order_text, limit=per_page, offset=offset,
                          filters=json.dumps(filters) if filters else None)
        out.extend(HttpRun(client, project, doc["id"], entity, doc) for doc in page["runs"])
        offset += len(page["runs"])
        if not page["runs"] or offset >= page["total"]:
            return out


class RemoteFile(dict[str, Any]):
    """A file of a run on a server: the dict ``{path, size, url}``, and wandb's ``File`` surface
    (``name``, ``size``, ``download``), like ``RunFile`` for a local run."""

    def __init__(self, run: HttpRun, doc: dict[str, Any]) -> None:
        super().__init__(doc)
        self._run = run

    name = property(lambda self: self["path"])
    size = property(lambda self: self.get("size"))

    def download(self, root: str | os.PathLike[str] = ".", replace: bool = False) -> Path:
        """Write the file under ``root`` at its path; its path there."""
        name = str(self["path"])
        target = Path(root) / name
        if target.exists() and not replace:
            raise FileExistsError(f"{target} exists; pass replace=True to overwrite it")
        data = self._run.download(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        return target

    def __repr__(self) -> str:
        return f"<RemoteFile {self.name} ({self.size} bytes)>"
