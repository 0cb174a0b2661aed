"""The background uploader: ``log_artifact`` hands it the artifact and returns at once.

One daemon thread per process takes jobs in order: store the files (``transfer.store_files``),
store the manifest, number the version in the registry, in online mode send it to the team
server (``remote.py``), then tell the run (which writes the ``ARTIFACT`` record to its log) and
wake whoever waits (``Artifact.wait``, ``Run.finish``).
A job that fails keeps its error on the artifact (``wait()`` raises it) and the run goes on.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .artifact import UPLOADING, Artifact
from .context import Context

OnCommit = Callable[[dict[str, Any], bool], None]


@dataclass
class Job:
    artifact: Artifact
    ctx: Context
    project: str
    entity: str
    aliases: list[str]
    logged_by: str | None
    on_commit: OnCommit | None = None
    linked_from: dict[str, Any] | None = None
    manifest: Any = None  # set for a link: the version's manifest is reused as is
    progress: Callable[[int], None] | None = None  # bytes stored (a CLI progress bar)
    remote: Callable[[dict[str, Any]], int | None] | None = None  # online: send the version, its server number
    done: threading.Event = field(default_factory=threading.Event)


class Uploader:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def submit(self, job: Job) -> None:
        job.artifact._state = UPLOADING
        job.artifact._ctx = job.ctx
        job.artifact._project, job.artifact._entity = job.project, job.entity
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._queue = queue.SimpleQueue()
                self._thread = threading.Thread(target=self._run, name="runyard-artifacts", daemon=True)
                self._thread.start()
            self._queue.put(job)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                commit(job)
            except BaseException as exc:  # kept for wait(); the run goes on
                job.artifact._error = exc
            finally:
                job.done.set()
                job.artifact._done.set()


_uploader = Uploader()


def submit(job: Job) -> None:
    _uploader.submit(job)


def commit(job: Job) -> None:
    """Store a job's files and manifest, then number the version (the order that keeps a
    version invisible until it is whole)."""
    from .transfer import store_files

    art, ctx = job.artifact, job.ctx
    warnings: list[str] = []
    if job.manifest is not None:
        manifest = job.manifest
    else:
        art._expand_deferred()
        if not art._pending:
            raise ValueError(f"artifact {art._name!r} holds no files")
        manifest, warnings = store_files(art._name, art._pending, ctx, job.progress)
        if art._incremental:  # the latest version's files, these added or replacing theirs
            from .manifest import Manifest
            from .names import ArtifactNotFoundError

            try:
                latest = ctx.registry.resolve(job.project, art._name, "latest")
            except ArtifactNotFoundError:
                pass  # the first version of the collection
            else:
                base = Manifest.from_bytes(ctx.blobs.read_bytes(latest["digest"]))
                manifest = Manifest({**base.entries, **manifest.entries})
    art._warnings.extend(warnings)
    put = ctx.blobs.put_bytes(manifest.to_bytes())
    doc = {
        "project": job.project, "entity": job.entity, "name": art._name, "type": art._type,
        "digest": put.digest, "size": manifest.size, "files": len(manifest),
        "description": art.description, "metadata": art.metadata, "created_at": time.time(),
        "logged_by": job.logged_by,
    }
    if art._ttl is not None:
        doc["ttl"] = art._ttl
    if job.linked_from is not None:
        doc["linked_from"] = job.linked_from
    doc, created = ctx.registry.commit(doc, job.aliases)
    if job.remote is not None:  # before _bind wakes wait(): its version is the server's
        art._server_version = job.remote(doc)
    art._bind(ctx, doc, manifest)
    if art._staging is not None:
        shutil.rmtree(art._staging, ignore_errors=True)
        art._staging = None
    if job.on_commit is not None:
        job.on_commit(doc, created)
