"""What a run does with artifacts: ``log_artifact``, ``use_artifact``, ``link_artifact`` and the
model shortcuts, as ``Run`` methods and as ``runyard.*`` functions on the current run.

Each writes an ``ARTIFACT`` record to the run's log (docs/run-log.md; fields in
docs/artifacts.md, "In the run log"), so lineage is rebuilt from the logs like everything else.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import RunyardWarning, UsageError
from ..log.records import Kind
from .artifact import COMMITTED, PENDING, Artifact
from .context import Context, context
from .manifest import Manifest
from .names import check_alias, check_name, parse_spec
from .upload import Job, commit, submit


def _ctx(run: Any) -> Context:
    return context(run.root, run.settings.get("blobs") or None)


def _aliases(aliases: Any) -> list[str]:
    if aliases is None:
        return []
    if isinstance(aliases, str):
        aliases = [aliases]
    return [check_alias(a) for a in aliases if a != "latest"]


def _record(run: Any, action: str, doc: dict[str, Any], **extra: Any) -> None:
    fields = {
        "action": action, "entity": doc.get("entity") or "local", "project": doc["project"],
        "name": doc["name"], "type": doc["type"], "version": int(doc["version"]), "digest": doc["digest"],
        "size": doc.get("size", 0), "files": doc.get("files", 0), "ts": time.time(), **extra,
    }
    with run._lock:
        run._put_record([Kind.ARTIFACT, fields])


def _jobs(run: Any) -> list[Job]:
    jobs: list[Job] | None = getattr(run, "_artifact_jobs", None)
    if jobs is None:
        jobs = run._artifact_jobs = []
    return jobs


def log_artifact(run: Any, artifact_or_path: Artifact | str | os.PathLike[str], name: str | None = None,
                 type: str | None = None, aliases: list[str] | None = None, tags: list[str] | None = None) -> Artifact:
    """Log an artifact (or a file or folder path) as this run's output; returns at once, the
    files are stored in the background (``artifact.wait()`` blocks until the version exists)."""
    if isinstance(artifact_or_path, Artifact):
        art = artifact_or_path
        if type is not None and type != art.type:
            raise ValueError(f"log_artifact(): type={type!r} differs from the artifact's type {art.type!r}")
    else:
        path = Path(artifact_or_path)
        if not path.exists():
            raise FileNotFoundError(f"log_artifact(): no file or folder {os.fspath(artifact_or_path)!r}")
        art = Artifact(name or _default_name(run, path), type or "unspecified")
        if path.is_dir():
            art._deferred_dirs.append(path.resolve())  # walked by the uploader: the call returns at once
        else:
            art.add_file(path)
    if art.state != PENDING:
        raise UsageError(f"log_artifact(): artifact {art.name!r} was already logged; make a new Artifact")
    if not art._pending and not art._deferred_dirs:
        raise ValueError(f"log_artifact(): artifact {art.name!r} holds no files")
    wanted = _aliases(aliases) + [a for a in art._requested_aliases if a not in (aliases or [])]
    ctx = _ctx(run)
    known = ctx.registry.collection_type(run.project, art._name)
    if known is not None and known != art.type:
        raise ValueError(
            f"log_artifact(): artifact {art._name!r} in project {run.project!r} has type {known!r}, "
            f"not {art.type!r}; use another name for another type"
        )

    def on_commit(doc: dict[str, Any], created: bool) -> None:
        _record(run, "logged", doc, aliases=["latest", *wanted], created=created,
                description=doc.get("description"), metadata=doc.get("metadata") or {},
                created_at=doc["created_at"])

    job = Job(art, ctx, run.project, run.entity, wanted, run.path, on_commit, progress=art._progress,
              remote=_remote(run, art))
    _jobs(run).append(job)
    submit(job)
    return art


def _remote(run: Any, art: Artifact) -> Callable[[dict[str, Any]], int | None] | None:
    """Online mode: a function sending a committed version to the team server (a few tries);
    it answers the server's version number, or None with a warning naming ``runyard sync``."""
    sender = getattr(run, "_sender", None)
    if sender is None:
        return None

    def send(doc: dict[str, Any]) -> int | None:
        from ..sdk.sender import Client, Refused, Retry
        from .remote import mark_sent, send_version

        client = Client(sender.base_url, sender.client.api_key)
        error = ""
        try:
            for attempt in range(4):
                try:
                    got = send_version(client, art._ctx.blobs, doc["project"], doc["name"], doc["type"],
                                       doc["digest"], sender.entity)
                    mark_sent(Path(run.dir), doc["project"], doc["name"], doc["digest"])
                    return int(got["version"])
                except Retry as exc:
                    error = str(exc)
                    time.sleep(0.5 * 2 ** attempt)
                except Refused as exc:
                    error = str(exc)
                    break
        finally:
            client.close()
        art._warnings.append(f"artifact {doc['name']}:v{doc['version']} is stored locally but was not sent to "
                             f"{sender.base_url} ({error}); send it with: runyard sync {run.dir}")
        return None

    return send


def _default_name(run: Any, path: Path) -> str:
    import re

    base = re.sub(r"[^A-Za-z0-9_.\-]", "-", path.name or "artifact")[:100] or "artifact"
    return f"run-{run.id}-{base}"


def fetch(ctx: Context, project: str, spec_text: str, type: str | None = None) -> Artifact:
    """A stored version by ``[[entity/]project/]name[:alias]`` (``project`` when none is named)."""
    spec = parse_spec(spec_text)
    project = spec.project or project
    doc = ctx.registry.resolve(project, spec.name, spec.alias)
    if type is not None and doc["type"] != type:
        raise ValueError(f"artifact {spec.name!r} has type {doc['type']!r}, not {type!r}")
    manifest = Manifest.from_bytes(ctx.blobs.read_bytes(doc["digest"]))
    return Artifact._from_doc(ctx, doc, manifest)


def use_artifact(run: Any, artifact_or_name: Artifact | str, type: str | None = None,
                 aliases: list[str] | None = None, use_as: str | None = None) -> Artifact:
    """Mark a version as this run's input and return it (``"name:v3"``, ``"name:best"``,
    ``"project/name"`` meaning ``:latest``, or an ``Artifact``)."""
    ctx = _ctx(run)
    if isinstance(artifact_or_name, Artifact):
        art = artifact_or_name
        if art.state == PENDING:  # a new artifact used as input: stored, but not an output
            job = Job(art, ctx, run.project, run.entity, _aliases(aliases), None, remote=_remote(run, art))
            submit(job)
        art.wait()
    else:
        art = _fetch_online(run, ctx, artifact_or_name, type) or fetch(ctx, run.project, artifact_or_name, type)
    assert art._doc is not None and art._project is not None
    ts = time.time()
    if art._pull is None:  # a version of this folder's registry (not one read from the team server)
        ctx.registry.add_use(art._project, art._name, int(art._doc["version"]), run.path, ts)
    _record(run, "used", art._doc)
    return art


def _fetch_online(run: Any, ctx: Context, spec_text: str, type: str | None) -> Artifact | None:
    """Online mode: the version as the team server numbers it (logged by any machine), or None
    when the server has no such name or cannot be reached (then the local registry answers)."""
    sender = getattr(run, "_sender", None)
    if sender is None:
        return None
    from ..api.http import ServerError
    from .remote import fetch_version

    spec = parse_spec(spec_text)
    try:
        got = fetch_version(sender.base_url, sender.client.api_key, ctx.blobs, spec.project or run.project,
                            spec.name, spec.alias)
    except (OSError, ServerError) as exc:
        warnings.warn(f"use_artifact({spec_text!r}): the team server could not be asked ({exc}); "
                      "using this folder's versions", RunyardWarning, stacklevel=4)
        return None
    if got is None:
        return None
    doc, manifest, pull = got
    if type is not None and doc["type"] != type:
        raise ValueError(f"artifact {spec.name!r} has type {doc['type']!r}, not {type!r}")
    art = Artifact._from_doc(ctx, doc, manifest)
    art._pull = pull
    return art


def link_artifact(run: Any, artifact: Artifact, target_path: str, aliases: list[str] | None = None) -> Artifact:
    """Link a logged version into another collection (``"project/name"``, ``"entity/project/name"``
    or ``"name"``), e.g. a model registry: the same files, a version there, with ``aliases``."""
    if artifact.state == PENDING:
        raise UsageError("link_artifact(): log the artifact first (run.log_artifact(artifact))")
    artifact.wait()
    parts = [p for p in str(target_path).split("/") if p]
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"link_artifact(): expected 'project/name' or 'name', got {target_path!r}")
    name = check_name("name", parts[-1].split(":")[0])
    project = check_name("project", parts[-2]) if len(parts) >= 2 else run.project
    ctx = _ctx(run)
    assert artifact._doc is not None and artifact._manifest is not None
    target = Artifact(name, artifact.type, artifact.description, artifact.metadata)
    source = {"project": artifact._project, "name": artifact._name, "version": int(artifact._doc["version"])}
    job = Job(target, ctx, project, run.entity, _aliases(aliases), artifact._doc.get("logged_by"),
              linked_from=source, manifest=artifact._manifest, remote=_remote(run, target))
    target._ctx = ctx
    commit(job)
    assert target._doc is not None
    _record(run, "linked", target._doc, source=source, aliases=["latest", *_aliases(aliases)])
    return target


def log_model(run: Any, path: str | os.PathLike[str], name: str | None = None,
              aliases: list[str] | None = None) -> Artifact:
    """Log a model file or folder as an artifact of type ``model``."""
    return log_artifact(run, path, name=name, type="model", aliases=aliases)


def use_model(run: Any, name: str) -> str:
    """Use a model artifact and return the local path of its downloaded files."""
    art = use_artifact(run, name)
    if art.type != "model":
        raise ValueError(f"use_model(): artifact {name!r} has type {art.type!r}, not 'model'")
    folder = art.download()
    files = art.files()
    return str(Path(folder) / files[0].path) if len(files) == 1 else folder


def link_model(run: Any, path: str | os.PathLike[str], registered_model_name: str, name: str | None = None,
               aliases: list[str] | None = None) -> Artifact:
    """Log a model and link it into ``model-registry/<registered_model_name>``."""
    art = log_model(run, path, name=name)
    return link_artifact(run, art, f"model-registry/{registered_model_name}", aliases)


def wait_all(run: Any, timeout: float) -> None:
    """Called by ``finish()``: wait for this run's uploads, say what could not be stored."""
    from ..sdk.report import say

    jobs = _jobs(run)
    quiet_until = time.monotonic() + 1.0
    for job in jobs:  # short uploads finish without a word
        job.done.wait(max(0.0, quiet_until - time.monotonic()))
    pending = [j for j in jobs if not j.done.is_set()]
    if pending:
        say(f"storing {len(pending)} artifact(s) of run {run.path} (waiting up to {timeout:.0f} s)")
    deadline = time.monotonic() + timeout
    for job in jobs:
        if not job.done.wait(max(0.0, deadline - time.monotonic())):
            say(f"artifact {job.artifact._name!r} was not stored before finish() gave up; log it again to finish it")
        art = job.artifact
        for message in art._warnings:
            warnings.warn(message, RunyardWarning, stacklevel=4)
        art._warnings.clear()
        if art._error is not None and art.state != COMMITTED:
            say(f"artifact {art._name!r} was not stored — {type(art._error).__name__}: {art._error}")
    jobs.clear()


# -- runyard.* on the current run --------------------------------------------------------------


def _current() -> Any:
    # lifecycle is loaded by init(), and not imported here: the run module imports this one
    run = getattr(sys.modules.get("runyard.sdk.lifecycle"), "_current", None)
    if run is None:
        raise UsageError("this call needs a run: call runyard.init() first")
    return run


def module_log_artifact(artifact_or_path: Any, name: str | None = None, type: str | None = None,
                        aliases: list[str] | None = None, tags: list[str] | None = None) -> Artifact:
    art: Artifact = _current().log_artifact(artifact_or_path, name=name, type=type, aliases=aliases)
    return art


def module_use_artifact(artifact_or_name: Any, type: str | None = None, aliases: list[str] | None = None,
                        use_as: str | None = None) -> Artifact:
    art: Artifact = _current().use_artifact(artifact_or_name, type=type, aliases=aliases)
    return art


def module_log_model(path: str | os.PathLike[str], name: str | None = None,
                     aliases: list[str] | None = None) -> Artifact:
    art: Artifact = _current().log_model(path, name=name, aliases=aliases)
    return art


def module_use_model(name: str) -> str:
    return str(_current().use_model(name))


def module_link_model(path: str | os.PathLike[str], registered_model_name: str, name: str | None = None,
                      aliases: list[str] | None = None) -> Artifact:
    art: Artifact = _current().link_model(path, registered_model_name, name=name, aliases=aliases)
    return art
