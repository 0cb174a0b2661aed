"""The contract every rich value (docs/media-refs.md) follows, and the store its files go to.

A ``Media`` value is built on the caller's thread and must copy whatever it needs there (the
caller may reuse its array the next moment). The writer thread later calls ``to_ref``, which
does the slow work (encoding PNG/GIF/WAV/...), writes files through the ``MediaStore`` and
returns the *typed reference* that goes into the history row or the summary. References are
plain dicts with a ``"_type"`` key; ``docs/media-refs.md`` documents every kind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, ClassVar


def atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file and a rename: readers see the old
    file or the whole new one, never half of it."""
    _replace(target, lambda f: f.write(data))


def copy_atomic(src: Path, target: Path) -> None:
    """Copy ``src`` to ``target`` the same way (``atomic_write``)."""

    def fill(out: IO[bytes]) -> None:
        with open(src, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)

    _replace(target, fill)


def _replace(target: Path, fill: Callable[[IO[bytes]], object]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class MediaStore:
    """The one owner of a run's media files: ``media/<kind>/<sha256>.<ext>`` under the run folder.

    Files are content-addressed, so the same bytes are stored once (docs/media-refs.md), and written to a
    temporary name and renamed, so a reader never sees half a file. ``pending_sync`` lists files
    written since the writer last fsynced; the writer syncs them before the log that cites them.
    """

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.run_dir = Path(run_dir)
        self.pending_sync: list[Path] = []

    def put_bytes(self, kind: str, data: bytes, ext: str) -> dict[str, Any]:
        """Store ``data``; return ``{"path", "sha256", "size"}`` (path relative to the run folder)."""
        digest = hashlib.sha256(data).hexdigest()
        rel = f"media/{kind}/{digest}.{ext}"
        target = self.run_dir / rel
        if not target.exists():
            atomic_write(target, data)
            self.pending_sync.append(target)
        return {"path": rel, "sha256": digest, "size": len(data)}

    def put_file(self, kind: str, src: str | os.PathLike[str], ext: str) -> dict[str, Any]:
        """Store a copy of the file at ``src`` (read whole; media files are small enough)."""
        with open(src, "rb") as f:
            return self.put_bytes(kind, f.read(), ext)

    def sync(self) -> None:
        """fsync every file written since the last call (and their folders)."""
        folders = {path.parent for path in self.pending_sync if _fsync(path)}
        for folder in folders:
            _fsync(folder)
        self.pending_sync.clear()


class Media:
    """Base class of rich values. Subclasses set ``_type`` and implement ``to_ref``."""

    _type: ClassVar[str] = "media"

    def snapshot(self) -> Media:
        """Called by ``log()`` on the caller's thread: a value that can still change after it was
        logged (a Table gaining rows) returns a copy; immutable values return themselves."""
        return self

    def queued_bytes(self) -> int:
        """Roughly how much memory this value holds while it waits for the writer (its arrays and
        byte strings), so the SDK can bound that backlog. Subclasses may refine it."""
        total = 0
        for v in vars(self).values():
            nbytes = getattr(v, "nbytes", None)
            if isinstance(nbytes, int):
                total += nbytes
            elif isinstance(v, (bytes, bytearray, str)):
                total += len(v)
        return total

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        """Encode and store this value; return its typed reference (runs on the writer thread)."""
        raise NotImplementedError


def read_binary(data: IO[Any], what: str) -> bytes:
    """Read a file object that must be binary, with a clear error when it was opened as text."""
    content = data.read()
    if isinstance(content, str):
        raise TypeError(
            f"{what}: the file object was opened in text mode; open it with mode 'rb' instead"
        )
    return bytes(content)


def plain_scalar(value: Any) -> int | float | str | None:
    """``value`` as a plain int, float or str when it is an instance of a subclass of one (IntEnum,
    str enums, ...), which is stored as the plain type; None for any other value."""
    for plain in (int, float, str):
        if isinstance(value, plain):
            return plain(value)
    return None


def _fsync(path: Path) -> bool:
    """fsync a file or folder; False when it is gone or the file system cannot sync (nothing more
    can be done then)."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        return False
    return True
