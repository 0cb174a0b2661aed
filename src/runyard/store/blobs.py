"""Content-addressed blob stores: every blob is named by the hex SHA-256 of its bytes.

Artifacts, media and files of a team server live here (``docs/artifacts.md``): the same bytes are
stored once, whatever the number of versions or runs that hold them. Two implementations share
one interface:

- ``LocalBlobStore``: a directory, ``<root>/sha256/<first two hex digits>/<digest>``. A blob is
  written to ``<root>/tmp/`` while its hash is computed, then renamed into place, so a reader
  never sees half a blob and a process killed mid-copy leaves only a temporary file (removed by
  ``cleanup_tmp``).
- ``S3BlobStore`` (``blobs_s3.py``, the ``s3`` extra): an S3-compatible bucket and prefix, same
  key layout; a blob appears only when its upload completes.

Invariants every implementation keeps: a blob's name is the SHA-256 of the bytes stored under it
(``put_file`` hashes the bytes as it copies them, so a file changing meanwhile is stored under
the hash of what was actually copied); big blobs are streamed, never held whole in memory.
"""

from __future__ import annotations

import abc
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

CHUNK = 1 << 20  # bytes per read while copying and hashing
_DIGEST = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[int], None]
"""Called with the number of bytes just copied (for progress bars)."""


class BlobNotFoundError(KeyError):
    """The store holds no blob of this digest."""

    def __str__(self) -> str:  # KeyError's str() would quote the message
        return str(self.args[0]) if self.args else "blob not found"


@dataclass(frozen=True, slots=True)
class PutResult:
    digest: str
    size: int
    created: bool
    """False when the store already held these bytes (nothing was written)."""


def check_digest(digest: str) -> str:
    """Return ``digest`` if it is 64 lowercase hex characters, else raise ``ValueError``."""
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise ValueError(f"not a sha256 hex digest: {digest!r} (expected 64 characters 0-9a-f)")
    return digest


def blob_key(digest: str) -> str:
    """The relative path (or object key) of a blob: ``sha256/ab/abcdef...``."""
    check_digest(digest)
    return f"sha256/{digest[:2]}/{digest}"


def sha256_file(path: str | os.PathLike[str], progress: Progress | None = None) -> tuple[str, int]:
    """Hash a file by streaming it; returns ``(hex digest, size)``."""
    h = hashlib.sha256()
    size = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb") as f:
        while n := f.readinto(buf):
            h.update(view[:n])
            size += n
            if progress is not None:
                progress(n)
    return h.hexdigest(), size


class BlobStore(abc.ABC):
    """What every blob store offers. Digests are lowercase hex SHA-256."""

    url: str

    def has(self, digest: str) -> bool:
        return not self.missing([digest])

    @abc.abstractmethod
    def missing(self, digests: Iterable[str]) -> list[str]:
        """The digests (each once, in the order given) this store does not hold."""

    @abc.abstractmethod
    def put_file(
        self, path: str | os.PathLike[str], digest: str | None = None, progress: Progress | None = None
    ) -> PutResult:
        """Store a file's bytes, streamed. With ``digest`` (known from a previous hash) a blob the
        store already holds is not read again; the returned digest is always that of the bytes
        stored, which differs from ``digest`` if the file changed since it was hashed."""

    def put_bytes(self, data: bytes) -> PutResult:
        """Store bytes held in memory (small blobs: manifests, tables)."""
        digest = hashlib.sha256(data).hexdigest()
        if self.has(digest):
            return PutResult(digest, len(data), False)
        return self._put_verified_bytes(digest, data)

    @abc.abstractmethod
    def _put_verified_bytes(self, digest: str, data: bytes) -> PutResult: ...

    @abc.abstractmethod
    def open(self, digest: str) -> IO[bytes]:
        """A binary stream of the blob (a context manager); ``BlobNotFoundError`` if absent."""

    def read_bytes(self, digest: str) -> bytes:
        with self.open(digest) as f:
            return f.read()

    @abc.abstractmethod
    def get_file(self, digest: str, dest: str | os.PathLike[str], progress: Progress | None = None) -> Path:
        """Copy a blob to ``dest`` (streamed, written to a temporary name then renamed, the hash
        checked on the way); returns ``dest``."""

    @abc.abstractmethod
    def size(self, digest: str) -> int:
        """The blob's length in bytes; ``BlobNotFoundError`` if absent."""

    @abc.abstractmethod
    def delete(self, digest: str) -> None:
        """Remove a blob (no error if absent)."""

    @abc.abstractmethod
    def iter_digests(self) -> Iterator[str]:
        """Every digest the store holds."""

    @abc.abstractmethod
    def modified(self, digest: str) -> float:
        """When the blob was stored (seconds since the epoch); ``BlobNotFoundError`` if absent."""

    def local_path(self, digest: str) -> Path | None:
        """The blob's file when the store is a local directory, else None."""
        return None

    def close(self) -> None:
        """Release clients and connections."""
        return None

    def __enter__(self) -> BlobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _copy_hashing(src: IO[bytes], dst: IO[bytes], progress: Progress | None) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while n := src.readinto(buf):  # type: ignore[attr-defined]
        chunk = view[:n]
        h.update(chunk)
        dst.write(chunk)
        size += n
        if progress is not None:
            progress(n)
    return h.hexdigest(), size


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns, a.st_ctime_ns) == \
        (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns, b.st_ctime_ns)


class LocalBlobStore(BlobStore):
    """A directory of blobs. Safe for several processes: writes go through a unique temporary
    file and an atomic rename, and two writers of the same bytes produce the same file."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        self.url = self.root.as_uri()
        self._tmp = self.root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        (self.root / "sha256").mkdir(exist_ok=True)

    def path(self, digest: str) -> Path:
        return self.root / blob_key(digest)

    def local_path(self, digest: str) -> Path | None:
        p = self.path(digest)
        return p if p.exists() else None

    def missing(self, digests: Iterable[str]) -> list[str]:
        out: dict[str, None] = {}
        for d in digests:
            if d not in out and not self.path(d).exists():
                out[d] = None
        return list(out)

    def _tempfile(self) -> tuple[IO[bytes], Path]:
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix=".blob-")
        return os.fdopen(fd, "wb"), Path(name)

    def _install(self, tmp: Path, digest: str) -> bool:
        """Rename a finished temporary file to its digest; False if the blob was already there."""
        final = self.path(digest)
        if final.exists():
            tmp.unlink(missing_ok=True)
            return False
        final.parent.mkdir(exist_ok=True)
        os.chmod(tmp, 0o444)  # blobs are immutable; a stray write by a user fails (as non-root)
        os.replace(tmp, final)
        return True

    def put_file(
        self, path: str | os.PathLike[str], digest: str | None = None, progress: Progress | None = None
    ) -> PutResult:
        if digest is not None and self.path(digest).exists():
            size = self.path(digest).stat().st_size
            if progress is not None:
                progress(size)
            return PutResult(digest, size, False)
        with open(path, "rb") as src:
            out, tmp = self._tempfile()
            try:
                with out:
                    got, size = _copy_hashing(src, out, progress)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        try:
            return PutResult(got, size, self._install(tmp, got))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_known(self, path: str | os.PathLike[str], digest: str, expect: os.stat_result,
                  progress: Progress | None = None) -> PutResult | None:
        """Store a file whose SHA-256 is already known (the hash cache's ``digest`` for the stat
        ``expect``) by a kernel-side copy (``copy_file_range``/``sendfile``), without reading its
        bytes into this process or hashing them again. The source's stat is compared with
        ``expect`` before and after the copy; if the file changed, nothing is stored and None is
        returned (the caller then uses ``put_file``, which hashes the bytes it stores), so a blob's
        name stays the hash of its bytes as far as a stat can tell (the hash cache's trade-off)."""
        final = self.path(digest)
        if final.exists():
            if progress is not None:
                progress(expect.st_size)
            return PutResult(digest, expect.st_size, False)
        if not _same_file(os.stat(path), expect):
            return None
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix=".blob-")
        os.close(fd)
        tmp = Path(name)
        try:
            shutil.copyfile(path, tmp)
            if not _same_file(os.stat(path), expect) or tmp.stat().st_size != expect.st_size:
                tmp.unlink(missing_ok=True)
                return None
            if progress is not None:
                progress(expect.st_size)
            return PutResult(digest, expect.st_size, self._install(tmp, digest))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _put_verified_bytes(self, digest: str, data: bytes) -> PutResult:
        out, tmp = self._tempfile()
        try:
            with out:
                out.write(data)
            return PutResult(digest, len(data), self._install(tmp, digest))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def open(self, digest: str) -> IO[bytes]:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {digest} is not in {self.url}") from None

    def get_file(self, digest: str, dest: str | os.PathLike[str], progress: Progress | None = None) -> Path:
        """Copy a blob out. The store's own file is trusted (it was hashed when written), so this
        is a plain kernel-side copy."""
        src = self.path(digest)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
        os.close(fd)
        try:
            try:
                shutil.copyfile(src, name)
            except FileNotFoundError:
                raise BlobNotFoundError(f"blob {digest} is not in {self.url}") from None
            os.chmod(name, 0o644)
            os.replace(name, dest)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        if progress is not None:
            progress(dest.stat().st_size)
        return dest

    def size(self, digest: str) -> int:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {digest} is not in {self.url}") from None

    def modified(self, digest: str) -> float:
        try:
            return self.path(digest).stat().st_mtime
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {digest} is not in {self.url}") from None

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def iter_digests(self) -> Iterator[str]:
        base = self.root / "sha256"
        for sub in sorted(base.iterdir()) if base.exists() else ():
            if sub.is_dir():
                for f in sorted(sub.iterdir()):
                    if _DIGEST.match(f.name):
                        yield f.name

    def cleanup_tmp(self, older_than: float = 3600.0) -> int:
        """Remove temporary files left by killed writers (older than ``older_than`` seconds)."""
        import time

        cutoff = time.time() - older_than
        n = 0
        for f in self._tmp.iterdir():
            try:
                if f.stat().st_mtime < cutoff:
                    f.unlink()
                    n += 1
            except FileNotFoundError:
                pass
        return n


def open_blob_store(url_or_path: str | os.PathLike[str], endpoint: str | None = None, **s3_options: Any) -> BlobStore:
    """Open a blob store from a URL or a path.

    - ``s3://bucket/prefix``: an S3-compatible bucket (``pip install 'runyard[s3]'``); ``endpoint``
      (e.g. ``http://127.0.0.1:8333``) or ``$AWS_ENDPOINT_URL`` for stores other than AWS;
      credentials from the usual ``AWS_*`` variables.
    - ``file:///path`` or a plain path: a local directory (made if missing).
    """
    text = os.fspath(url_or_path)
    if text.startswith("s3://"):
        from .blobs_s3 import S3BlobStore

        return S3BlobStore(text, endpoint=endpoint, **s3_options)
    if text.startswith("file://"):
        from urllib.parse import unquote, urlparse

        parsed = urlparse(text)
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"blob store URL {text!r}: a file:// URL must name a local path")
        return LocalBlobStore(unquote(parsed.path))
    if "://" in text:
        raise ValueError(f"blob store {text!r}: expected s3://bucket/prefix, file:///path or a local path")
    return LocalBlobStore(text)
