"""``runyard artifact cache cleanup``: remove what no version refers to.

A blob is in use when a committed version's manifest names it (or it is that manifest). Blobs
stored by an upload that was killed before its version was committed are referred to by nothing;
they are removed once older than a grace period, since an upload still running elsewhere has
such blobs too until it commits. Temporary files of killed writers go the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..store.blobs import BlobNotFoundError, LocalBlobStore
from .context import Context
from .manifest import Manifest


@dataclass
class CleanupReport:
    blobs: int = 0
    bytes: int = 0
    temp_files: int = 0
    kept: int = 0


def referenced(ctx: Context) -> set[str]:
    used: set[str] = set()
    for project in ctx.registry.projects():
        for name, _ in ctx.registry.collections(project):
            for doc in ctx.registry.version_docs(project, name):
                used.add(doc["digest"])
                try:
                    used.update(Manifest.from_bytes(ctx.blobs.read_bytes(doc["digest"])).stored_digests())
                except BlobNotFoundError:
                    pass
    return used


def cleanup(ctx: Context, older_than: float = 3600.0, dry_run: bool = False) -> CleanupReport:
    report = CleanupReport()
    used = referenced(ctx)
    cutoff = time.time() - older_than
    for digest in list(ctx.blobs.iter_digests()):
        if digest in used:
            report.kept += 1
            continue
        try:
            if ctx.blobs.modified(digest) > cutoff:
                report.kept += 1
                continue
            size = ctx.blobs.size(digest)
        except BlobNotFoundError:
            continue
        report.blobs += 1
        report.bytes += size
        if not dry_run:
            ctx.blobs.delete(digest)
    if isinstance(ctx.blobs, LocalBlobStore) and not dry_run:
        report.temp_files = ctx.blobs.cleanup_tmp(older_than)
    return report
