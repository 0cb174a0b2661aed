"""Changing stored versions, as wandb's ``Artifact`` does: ``save()`` (description, metadata,
aliases, TTL of a stored version; logging a new one), ``delete()``, ``new_draft()`` and TTLs
(docs/artifacts.md, "Editing, deleting, drafts and TTLs").

The registry holds the new state at once; the change is also an ARTIFACT record (``updated`` or
``deleted``) in the log of the current run, or of a short run of job type ``auto`` when there is
none (as wandb makes one), so the index, which is rebuilt from the logs, shows it too.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .manifest import Manifest

if TYPE_CHECKING:
    from .artifact import Artifact


def ttl_seconds(value: Any) -> float | None:
    """A TTL as seconds: a ``timedelta`` (positive) or None (no TTL)."""
    if value is None:
        return None
    if not isinstance(value, timedelta):
        raise TypeError(f"Artifact.ttl must be a datetime.timedelta or None, got {type(value).__name__}")
    if value.total_seconds() <= 0:
        raise ValueError(f"Artifact.ttl must be positive, got {value}")
    return value.total_seconds()


def _in_a_run(art: Artifact, project: str | None, action: str, fields: dict[str, Any]) -> None:
    assert art._doc is not None and art._ctx is not None
    record_somewhere(art._ctx.root, project or art._project, action, art._doc, fields)


def record_somewhere(root: Any, project: str | None, action: str, doc: dict[str, Any], fields: dict[str, Any]) -> None:
    """Write an ARTIFACT record of ``action`` for version ``doc`` into the current run's log, or
    into a short ``auto`` run's of ``project`` under ``root``."""
    import runyard

    from .runs import _record

    run = runyard.run
    if run is not None and not getattr(run, "_finished", False):
        _record(run, action, doc, **fields)
        return
    auto = runyard.init(project=project or doc["project"], job_type="auto", dir=root, reinit=True,
                        settings={"console": "off", "x_disable_stats": True})
    try:
        _record(auto, action, doc, **fields)
    finally:
        auto.finish()


def _local_only(art: Artifact, what: str) -> None:
    if art._pull is not None:
        raise UsageError(f"{what}: {art.name!r} was read from the team server; editing or deleting a server's "
                         "version is not supported yet (edit it where it was logged, then runyard sync)")


def save(art: Artifact, project: str | None = None) -> None:
    from .artifact import PENDING

    if art._state == PENDING:  # a new artifact: logged by the current run, or by an auto run
        import runyard

        run = runyard.run
        if run is not None and not getattr(run, "_finished", False):
            run.log_artifact(art)
            art.wait()
            return
        auto = runyard.init(project=project or "uncategorized", job_type="auto", reinit=True,
                            settings={"console": "off", "x_disable_stats": True})
        try:
            auto.log_artifact(art)
            art.wait()
        finally:
            auto.finish()
        return
    art._require_committed("save()")
    _local_only(art, "save()")
    assert art._doc is not None and art._ctx is not None and art._project is not None
    reg, number = art._ctx.registry, int(art._doc["version"])
    fields = {"description": art.description, "metadata": art.metadata, "ttl": art._ttl}
    reg.update(art._project, art._name, number, fields)
    reg.set_aliases(art._project, art._name, number, art._requested_aliases)
    art._doc = reg.resolve(art._project, art._name, f"v{number}")
    _in_a_run(art, project, "updated", {**fields, "aliases": art._doc["aliases"]})


def delete(art: Artifact, delete_aliases: bool = False) -> None:
    art._require_committed("delete()")
    _local_only(art, "delete()")
    assert art._doc is not None and art._ctx is not None and art._project is not None
    number = int(art._doc["version"])
    aliases = art._ctx.registry.resolve(art._project, art._name, f"v{number}")["aliases"]
    if aliases and not delete_aliases:
        raise UsageError(f"artifact {art._name}:v{number} has aliases {aliases}; delete(delete_aliases=True) "
                         "deletes it with them")
    art._ctx.registry.delete(art._project, art._name, number)
    _in_a_run(art, None, "deleted", {"aliases": aliases})
    from .artifact import DELETED

    art._state = DELETED


def new_draft(art: Artifact) -> Artifact:
    """A new artifact holding this version's entries (files by hash, references as they are):
    add, remove and log it as a new version; files not changed are not stored again."""
    from .artifact import Artifact, Pending

    manifest: Manifest = art._require_committed("new_draft()")
    draft = Artifact(art._name, art._type, art.description, dict(art.metadata))
    for e in manifest:
        draft._pending[e.path] = Pending(e.path, ref=e.ref, digest=e.digest, size=e.size, extra=dict(e.extra))
    draft._ttl = art._ttl
    return draft


def expire(ctx: Any, now: float | None = None, dry_run: bool = False) -> list[str]:
    """Delete the versions of a root whose TTL has passed (``runyard artifact cache cleanup``);
    returns their names. Their files go with the next blob cleanup when nothing else holds them."""
    now = time.time() if now is None else now
    gone = []
    for project in ctx.registry.projects():
        for name, _ in ctx.registry.collections(project):
            for doc in ctx.registry.version_docs(project, name):
                ttl = doc.get("ttl")
                if ttl is not None and float(doc["created_at"]) + float(ttl) < now:
                    gone.append(f"{project}/{name}:v{doc['version']}")
                    if not dry_run:
                        ctx.registry.delete(project, name, int(doc["version"]))
                        record_somewhere(ctx.root, project, "deleted", doc,
                                         {"aliases": doc["aliases"], "expired": True})
    return gone
