"""Moving an artifact's bytes: storing a new version's files (``store_files``) and downloading,
verifying and reading a stored version's files.

Both directions use the hash cache: a file whose stat is unchanged since it was last hashed is
not read again, so logging an unchanged folder again, or downloading a version into a folder
that already holds it, reads (almost) no bytes. A new file is read once: each buffer is hashed and
written (``put_file``); a file whose hash is known but whose blob is absent is copied by the kernel
(``put_known``). Files move on a few threads at once (hashlib and file I/O release the GIL).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store.blobs import Progress, sha256_file
from .hashcache import stat_key
from .manifest import Manifest, ManifestEntry

if TYPE_CHECKING:
    from .artifact import Artifact, Pending
    from .context import Context

THREADS = 4


def store_files(name: str, pending: dict[str, Pending], ctx: Context,
                progress: Progress | None = None) -> tuple[Manifest, list[str]]:
    """Put every pending file's bytes in the blob store; returns the manifest and warnings (one
    per file that changed after it was added or while it was copied)."""
    warnings: list[str] = []
    stats: dict[str, os.stat_result] = {}
    for p in pending.values():
        src = p.source if p.source is not None else _file_ref_path(p.ref)
        if src is None or (p.digest is not None and p.ref is not None):
            continue
        try:
            stats[src] = os.stat(src)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"artifact {name!r}: file {p.path!r} ({src}) was removed before it was stored"
            ) from None
    cached = ctx.hashes.get_many(stats.items())
    stored_cached = {s: d for s, d in cached.items() if any(q.source == s for q in pending.values())}
    absent = set(ctx.blobs.missing(stored_cached.values())) if stored_cached else set()
    fresh: list[tuple[str, os.stat_result, str]] = []
    entries: dict[str, ManifestEntry] = {}

    def changed(p: Pending, src: str, before: os.stat_result) -> None:
        if p.stat is not None and stat_key(p.stat) != stat_key(before) or stat_key(before) != stat_key(os.stat(src)):
            warnings.append(
                f"artifact {name!r}: file {p.path!r} ({src}) changed after it was added or while it was "
                "stored; the version holds the bytes that were read"
            )
            return
        fresh.append((src, before, digest_of[p.path]))

    digest_of: dict[str, str] = {}

    def one(p: Pending) -> ManifestEntry:
        if p.ref is not None:
            src = _file_ref_path(p.ref)
            if p.digest is not None or src is None:
                return ManifestEntry(p.path, str(p.digest), p.size, p.ref, p.extra)
            st = stats[src]
            digest = cached.get(src)
            if digest is None:
                digest, size = sha256_file(src)
                digest_of[p.path] = digest
                changed(p, src, st)
            else:
                size = st.st_size
            return ManifestEntry(p.path, digest, size, p.ref, p.extra)
        if p.source is None:  # an entry of a stored version (new_draft): its blob is there already
            if not ctx.blobs.has(str(p.digest)):
                raise FileNotFoundError(f"artifact {name!r}: the stored file of {p.path!r} ({p.digest}) is no "
                                        "longer in the blob store")
            if progress is not None:
                progress(p.size)
            return ManifestEntry(p.path, str(p.digest), p.size, None, p.extra)
        src, st = p.source, stats[p.source]
        digest = cached.get(src)
        if digest is not None and digest not in absent:
            if progress is not None:
                progress(st.st_size)
            return ManifestEntry(p.path, digest, st.st_size)
        known = getattr(ctx.blobs, "put_known", None)  # a local store: a kernel-side copy
        result = known(src, digest, st, progress) if digest is not None and known is not None else None
        if result is not None:  # the hash cache knew the bytes and the file is unchanged
            if p.stat is not None and stat_key(p.stat) != stat_key(st):
                warnings.append(f"artifact {name!r}: file {p.path!r} ({src}) changed after it was added; "
                                "the version holds the bytes that were read")
            return ManifestEntry(p.path, result.digest, result.size)
        result = ctx.blobs.put_file(src, digest=digest, progress=progress)
        digest_of[p.path] = result.digest
        changed(p, src, st)
        return ManifestEntry(p.path, result.digest, result.size)

    items = list(pending.values())
    if len(items) > 1:
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(one, items))
    else:
        results = [one(p) for p in items]
    for e in results:
        entries[e.path] = e
    ctx.hashes.put_many(fresh)
    return Manifest(entries), warnings


def _file_ref_path(ref: str | None) -> str | None:
    if ref is None or not ref.startswith("file://"):
        return None
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(ref).path)


def _matches(path: Path, entry: ManifestEntry, ctx: Context, cache: dict[str, str]) -> bool:
    """Whether ``path`` holds ``entry``'s bytes, by the hash cache or (if unknown) by hashing."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    if st.st_size != entry.size:
        return False
    known = cache.get(str(path))
    if known is None:
        if entry.extra.get("etag") or entry.extra.get("checksum") is False:
            return True  # no sha256 to compare against: same size is all we can check
        known, _ = sha256_file(path)
        ctx.hashes.put_many([(str(path), st, known)])
    return known == entry.digest


def download(artifact: Artifact, manifest: Manifest, root: str | os.PathLike[str] | None,
             path_prefix: str | None, exact: bool, allow_missing_references: bool,
             progress: Progress | None = None) -> Path:
    from .references import fetch_reference

    ctx = artifact._ctx
    folder = Path(root) if root is not None else artifact.default_root()
    folder.mkdir(parents=True, exist_ok=True)
    chosen = [e for e in manifest if path_prefix is None
              or (e.path == path_prefix if exact else e.path.startswith(path_prefix))]
    # The cached case on this thread, without a pool: a file whose stat the hash cache knows with
    # this entry's digest is already there (a download into a folder that holds the version
    # stats each file and reads no bytes).
    base = os.fspath(folder)
    stats: dict[str, os.stat_result] = {}
    for e in chosen:
        try:
            stats[e.path] = os.stat(os.path.join(base, e.path))
        except (FileNotFoundError, NotADirectoryError):
            pass
    cache = ctx.hashes.get_many((os.path.join(base, p), st) for p, st in stats.items())
    todo: list[tuple[ManifestEntry, Path]] = []
    for e in chosen:
        st = stats.get(e.path)
        if st is not None and st.st_size == e.size and cache.get(os.path.join(base, e.path)) == e.digest:
            if progress is not None:
                progress(e.size)
        else:
            todo.append((e, folder / e.path))
    fetched: list[tuple[str, os.stat_result, str]] = []

    def one(item: tuple[ManifestEntry, Path]) -> None:
        entry, target = item
        if _matches(target, entry, ctx, cache):  # there, but not in the hash cache: hash it
            if progress is not None:
                progress(entry.size)
            return
        if target.exists() or target.is_symlink():
            target.unlink()
        if entry.ref is not None:
            try:
                fetch_reference(entry.ref, target)
            except FileNotFoundError:
                if allow_missing_references:
                    return
                raise
        else:
            ctx.blobs.get_file(entry.digest, target, progress)
        fetched.append((str(target), target.stat(), entry.digest))

    if len(todo) > 1:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(one, todo))
    else:
        for t in todo:
            one(t)
    ctx.hashes.put_many(fetched)
    return folder


def verify(artifact: Artifact, manifest: Manifest, root: str | os.PathLike[str] | None) -> None:
    folder = Path(root) if root is not None else artifact.default_root()
    problems: list[str] = []
    for entry in manifest:
        path = folder / entry.path
        if not path.is_file():
            problems.append(f"missing: {entry.path}")
            continue
        if entry.extra.get("etag") or entry.extra.get("checksum") is False:
            if path.stat().st_size != entry.size:
                problems.append(f"different size: {entry.path}")
            continue
        digest, _ = sha256_file(path)
        if digest != entry.digest:
            problems.append(f"different content: {entry.path}")
    for dirpath, _dirs, files in os.walk(folder):
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), folder).replace(os.sep, "/")
            if rel not in manifest.entries:
                problems.append(f"not in the artifact: {rel}")
    if problems:
        raise ValueError(f"{folder} does not match artifact {artifact.name!r}:\n  " + "\n  ".join(problems))


def read_entry_bytes(artifact: Artifact, entry: ManifestEntry) -> bytes:
    """A small entry's bytes (metadata of rich objects)."""
    if entry.ref is not None:
        path = _file_ref_path(entry.ref)
        if path is None:
            raise ValueError(f"cannot read reference {entry.ref} directly; download() it")
        return Path(path).read_bytes()
    data: bytes = artifact._ctx.blobs.read_bytes(entry.digest)
    return data


ProgressFactory = Callable[[int], Any]
