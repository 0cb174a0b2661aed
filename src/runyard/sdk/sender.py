"""The sender: streams a run's log to a team server (online mode and ``runyard sync``).

The writer makes every record durable in the local run log first; the sender only reads that
file, so ``log()`` never waits for the network. It sends the frames past the last offset the
server acknowledged, in batches of whole frames (``POST /api/ingest/{project}/{run}`` with the
batch's offset), after uploading the run's new media and files to the blob store by content hash
(the server says which hashes it lacks). The server applies each batch exactly once and answers
the offset it now holds, so a batch resent after a timeout or a restart duplicates nothing; a gap
is answered with the offset the server expects, and the sender resends from there. Network
failures and 5xx answers are retried with capped exponential backoff and full jitter, for as long
as the run lives; what is still unsent at ``finish()`` (after a bounded wait) stays in the local
log for ``runyard sync``. The acknowledged offset is kept in ``online.json`` beside the log, so a
restarted client resumes from it (and the server corrects it if it holds more or less).

Plain ``http.client`` (one kept-alive connection), so online mode needs no extra package.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib
import json
import os
import random
import struct
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..log.framing import HEADER_SIZE, MAGIC, scan
from ..log.reader import LOG_NAME

STATE_NAME = "online.json"
MAX_BATCH = 4 * 1024 * 1024
_HEAD = 16
_SERVED = ("media", "files")
BACKOFF_FIRST, BACKOFF_CAP = 0.25, 5.0
IDLE_WAIT = 1.0  # longest nap of an idle sender; the writer's ``on_durable`` wakes it at once
_u32 = struct.Struct("<I").unpack_from


class Refused(Exception):
    """The server refused for good (a bad key, no access, another log under this id)."""


class Retry(Exception):
    """Worth trying again later (network, 5xx, a store that is down)."""


def normalize_url(url: str) -> str:
    return url.strip().rstrip("/")


def stored_key(base_url: str) -> str | None:
    """The key ``runyard login`` / ``wandb.login`` stored for this server, if any."""
    try:
        creds = importlib.import_module("runyard.credentials")
    except ImportError:  # pragma: no cover - an installation without the credentials module
        return None
    key = creds.load_key(normalize_url(base_url))
    return str(key) if key else None


def _put_presigned(upload: Any, data: bytes, timeout: float) -> bool:
    """PUT ``data`` to a presigned URL of the blob store (``{url, headers}``); whether it took it.
    Any failure (the store unreachable from here, an expired URL) leaves the upload to the server."""
    try:
        req = urllib.request.Request(str(upload["url"]), data=data, method="PUT",
                                     headers={str(k): str(v) for k, v in dict(upload.get("headers") or {}).items()})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return bool(200 <= resp.status < 300)
    except (OSError, ValueError, KeyError, TypeError, http.client.HTTPException):
        return False


class Client:
    """JSON and bytes to one server over a kept-alive connection; errors become ``Retry``/``Refused``."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 30.0) -> None:
        parsed = urllib.parse.urlsplit(normalize_url(base_url))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"not a server URL: {base_url!r} (expected http://host:port)")
        self.base_url = normalize_url(base_url)
        self.https = parsed.scheme == "https"
        self.host, self.port = parsed.hostname, parsed.port
        self.prefix = parsed.path.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        h = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json", **(headers or {})}
        for attempt in (0, 1):  # a kept-alive connection the server closed: one fresh retry
            if self._conn is None:
                cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
                self._conn = cls(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, self.prefix + path, body=body, headers=h)
                resp = self._conn.getresponse()
                raw = resp.read()
                status = resp.status
                break
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                if attempt == 1 or not isinstance(exc, (http.client.RemoteDisconnected, BrokenPipeError,
                                                         ConnectionResetError)):
                    raise Retry(f"cannot reach {self.base_url}: {exc}") from None
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = {"error": raw[:200].decode("utf-8", "replace")}
        if not isinstance(doc, dict):
            doc = {"value": doc}
        if status >= 500 or status == 429:
            raise Retry(f"{self.base_url} answered {status}: {doc.get('error', '')}")
        if status in (401, 403):
            raise Refused(f"{self.base_url} refused the API key ({status}): {doc.get('error', '')}")
        return status, doc

    def json(self, method: str, path: str, payload: Any = None) -> dict[str, Any]:
        body = None if payload is None else json.dumps(payload).encode()
        status, doc = self.request(method, path, body, {"Content-Type": "application/json"} if body else None)
        if status >= 400:
            raise Refused(f"{self.base_url}{path} answered {status}: {doc.get('error', '')}")
        return doc


def whoami(base_url: str, api_key: str, timeout: float = 5.0) -> dict[str, Any]:
    """What the server knows this key by: ``{"user", "entities" (those it can write to), "admin"}``;
    ``Refused`` for a bad key, ``Retry`` when the server cannot be reached."""
    client = Client(base_url, api_key, timeout)
    try:
        return client.json("GET", "/api/whoami")
    finally:
        client.close()


def check_key(base_url: str, api_key: str, timeout: float = 5.0) -> str | None:
    """The user name the server knows this key by (see ``whoami``)."""
    return str(whoami(base_url, api_key, timeout).get("user"))


def _q(part: str) -> str:
    return urllib.parse.quote(part, safe="")


class Sender:
    """Streams one run folder's log to a server; see the module docstring.

    ``durable()`` gives the offset up to which the log is durable (the writer's last fsync); it
    is None for a log no process writes any more (``runyard sync``), which is read to its valid end.
    """

    def __init__(self, folder: Path, base_url: str, api_key: str, project: str, run_id: str,
                 entity: str | None = None, durable: Callable[[], int] | None = None,
                 say: Callable[[str], None] | None = None) -> None:
        self.folder = Path(folder)
        self.log_path = self.folder / LOG_NAME
        self.client = Client(base_url, api_key)
        self.base_url = self.client.base_url
        self.project, self.run_id, self.entity = project, run_id, entity
        self.owner: str | None = entity  # the entity the server files the run under, when known
        self.durable = durable
        self.say = say or (lambda m: print(f"runyard: {m}", file=sys.stderr, flush=True))
        self.acked = self._load_acked()
        self.sent_bytes = 0
        self.batches = 0
        self.files_sent = 0
        self.refused: str | None = None
        self.last_error: str | None = None
        self._files: dict[str, tuple[int, int]] = {}  # path -> (size, mtime_ns) registered
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._head = b""

    # -- state -----------------------------------------------------------------------------------

    def project_url(self) -> str | None:
        """The run's project in the server's UI (``entity:project``, which names it whatever its
        key; docs/team-server.md, "Projects and entities"); None while the entity is not known."""
        return f"{self.base_url}/p/{_q(self.owner)}:{_q(self.project)}" if self.owner else None

    def run_url(self) -> str | None:
        """The run's page in the server's UI; None while the entity is not known."""
        project = self.project_url()
        return f"{project}/r/{_q(self.run_id)}" if project else None

    def _load_acked(self) -> int:
        try:
            doc = json.loads((self.folder / STATE_NAME).read_text())
            if normalize_url(str(doc.get("url", ""))) == self.base_url:
                return int(doc.get("acked", 0))
        except (OSError, ValueError, TypeError):
            pass
        return 0

    def _save_acked(self) -> None:
        tmp = self.folder / f".{STATE_NAME}.tmp"
        try:
            tmp.write_text(json.dumps({"url": self.base_url, "acked": self.acked, "project": self.project,
                                       "run_id": self.run_id, "entity": self.entity}))
            os.replace(tmp, self.folder / STATE_NAME)
        except OSError:
            pass  # the server holds the truth; a lost state file only costs a 409 round trip

    def end(self) -> int:
        """The offset up to which the local log may be sent."""
        if self.durable is not None:
            return self.durable()
        return scan(self.log_path).valid_end

    # -- one step --------------------------------------------------------------------------------

    def _batch(self, end: int) -> bytes:
        """Whole frames from ``acked`` up to ``end``, at most ``MAX_BATCH`` bytes (or one frame)."""
        with open(self.log_path, "rb") as f:
            f.seek(self.acked)
            data = f.read(min(end - self.acked, MAX_BATCH))
            pos = len(MAGIC) if self.acked == 0 else 0
            cut = pos
            while pos + HEADER_SIZE <= len(data):
                stop = pos + HEADER_SIZE + _u32(data, pos)[0]
                if stop > len(data):
                    break
                cut = pos = stop
            if cut == (len(MAGIC) if self.acked == 0 else 0) and pos + HEADER_SIZE <= len(data):
                big = HEADER_SIZE + _u32(data, pos)[0]  # one frame larger than a batch
                f.seek(self.acked + pos)
                return data[:pos] + f.read(big)
            return data[:cut]

    def head(self) -> bytes:
        if len(self._head) < _HEAD:
            with open(self.log_path, "rb") as f:
                self._head = f.read(_HEAD)
        return self._head

    def upload_files(self) -> int:
        """Send the run's new or changed media and files to the blob store; return how many."""
        new: list[tuple[str, Path, int, int]] = []
        for sub in _SERVED:
            top = self.folder / sub
            if not top.is_dir():
                continue
            for path in top.rglob("*"):
                if path.name.startswith((".tmp-", ".")) or not path.is_file():
                    continue
                rel = path.relative_to(self.folder).as_posix()
                st = path.stat()
                if self._files.get(rel) != (st.st_size, st.st_mtime_ns):
                    new.append((rel, path, st.st_size, st.st_mtime_ns))
        if not new:
            return 0
        entries: list[tuple[str, str, bytes]] = []
        for rel, path, _size, _mtime in new:
            data = path.read_bytes()
            entries.append((rel, hashlib.sha256(data).hexdigest(), data))
        answer = self.client.json("POST", "/api/blobs/missing", {"hashes": sorted({e[1] for e in entries})})
        missing = set(answer["missing"])
        uploads = answer.get("uploads") or {}
        for _rel, digest, data in entries:
            if digest in missing and digest in uploads and _put_presigned(uploads[digest], data, self.client.timeout):
                missing.discard(digest)
            if digest in missing:  # through the server (which checks the hash)
                status, doc = self.client.request("PUT", f"/api/blobs/{digest}", data,
                                                  {"Content-Type": "application/octet-stream"})
                if status >= 400:
                    raise Refused(f"{self.base_url} refused a file of run {self.run_id}: {doc.get('error')}")
                missing.discard(digest)
        params = f"?entity={_q(self.entity)}" if self.entity else ""
        self.client.json("POST", f"/api/ingest/{_q(self.project)}/{_q(self.run_id)}/files{params}",
                         {"files": [{"path": rel, "sha256": digest, "size": len(data)}
                                    for rel, digest, data in entries]})
        for rel, _path, size, mtime in new:
            self._files[rel] = (size, mtime)
        self.files_sent += len(new)
        return len(new)

    def step(self, files: bool = False) -> bool:
        """Send what is durable and unsent (files first, then one batch); whether anything was sent.
        The run folder is listed for new files only when there are frames to send (media are
        written before the rows citing them) or ``files`` asks. Raises ``Retry`` or ``Refused``."""
        end = self.end()
        if self.acked >= end:
            if files:
                self.upload_files()
            return False
        self.upload_files()
        data = self._batch(end)
        if not data:
            return False
        params = f"?entity={_q(self.entity)}" if self.entity else ""
        status, doc = self.client.request(
            "POST", f"/api/ingest/{_q(self.project)}/{_q(self.run_id)}{params}", data,
            {"Content-Type": "application/octet-stream", "X-Runyard-Offset": str(self.acked),
             "X-Runyard-Head": self.head().hex()})
        if status == 409 and isinstance(doc.get("expected_offset"), int):
            self.acked = int(doc["expected_offset"])  # the server holds more or less: continue there
            self._save_acked()
            return True
        if status >= 400:
            raise Refused(f"{self.base_url} refused run {self.project}/{self.run_id}: {doc.get('error')}")
        self.acked = int(doc["offset"])
        self.sent_bytes += int(doc.get("applied", 0))
        self.batches += 1
        self._save_acked()
        return True

    # -- the thread ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="runyard-sender", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        delay = BACKOFF_FIRST
        while not self._stop.is_set():
            try:
                self._wake.clear()  # before looking: a wake during step() is not lost
                sent = self.step()
                delay = BACKOFF_FIRST
                self.last_error = None
                if not sent:  # the writer wakes the sender after each fsync; the timeout is a fallback
                    self._wake.wait(IDLE_WAIT)
            except Refused as exc:
                self.refused = str(exc)
                self.say(f"{exc} — the run goes on offline; send it later with: runyard sync {self.folder}")
                return
            except Retry as exc:
                self.last_error = str(exc)
                self._stop.wait(random.uniform(0, delay))  # full jitter
                delay = min(BACKOFF_CAP, delay * 2)
            except Exception as exc:  # noqa: BLE001 - never let the sender take the run down
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(random.uniform(0, delay))
                delay = min(BACKOFF_CAP, delay * 2)
        self.client.close()

    def finish(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until the whole log is acknowledged, with a progress line;
        stop the thread; say in one line what is left for ``runyard sync``. Whether all was sent."""
        target = self.end()
        start_acked = self.acked
        deadline = time.monotonic() + timeout
        shown = 0.0
        while self.acked < target and self.refused is None and time.monotonic() < deadline:
            self._wake.set()
            if time.monotonic() - shown >= 1.0 and target - start_acked > 256 * 1024:
                shown = time.monotonic()
                done = (self.acked - start_acked) / max(1, target - start_acked)
                self.say(f"sending run {self.run_id} to {self.base_url}: {done:.0%} of "
                         f"{(target - start_acked) / 1e6:.1f} MB" + (f" (retrying: {self.last_error})"
                                                                     if self.last_error else ""))
            time.sleep(0.05)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if self.acked < target and self.refused is None:
            self.say(f"{target - self.acked} bytes of run {self.run_id} were not sent to {self.base_url}"
                     f"{f' ({self.last_error})' if self.last_error else ''}; send them with: "
                     f"runyard sync {self.folder}")
        return self.acked >= target

    def send_all(self, progress: Callable[[int], None] | None = None, retries: int = 8) -> bool:
        """Send the whole log and the run's files now, in this thread (``runyard sync``); whether
        all was sent. ``Refused`` propagates; network failures are retried ``retries`` times."""
        target = self.end()
        failures, delay, first = 0, BACKOFF_FIRST, True
        try:
            try:  # the server's word, not this machine's memory (a server restored from a backup)
                params = f"?entity={_q(self.entity)}" if self.entity else ""
                held = self.client.json("GET", f"/api/ingest/{_q(self.project)}/{_q(self.run_id)}{params}")["offset"]
                if isinstance(held, int) and held != self.acked:
                    self.acked = min(held, target)
            except Retry:
                pass
            while first or self.acked < target:
                first = False
                before = self.acked
                try:
                    self.step(files=True)
                    failures, delay = 0, BACKOFF_FIRST
                except Retry as exc:
                    failures += 1
                    self.last_error = str(exc)
                    if failures > retries:
                        return False
                    time.sleep(random.uniform(0, delay))
                    delay = min(BACKOFF_CAP, delay * 2)
                if progress is not None and self.acked > before:
                    progress(self.acked - before)
        finally:
            self.client.close()
        return True
