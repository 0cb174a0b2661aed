"""``RunLog``: the one owner of a run log file. Every byte written to a ``run.rylog`` goes through
it: the header and start record of a new run, the records of a resumed run, the writer thread's
batches, and summary edits made by the read API or the server.

What it does, in order, when it opens a log:

1. **Locks** the file (``fcntl.flock``, exclusive). The kernel releases the lock when the process
   dies, so a crashed writer never blocks anyone. A second process (or a second open in the same
   process) waits up to ``lock_wait`` seconds, then gets ``RunLockedError`` naming the run and the
   holder's pid and host. Two processes therefore never interleave frames in one log.
2. **Recovers** (``framing.scan``): damage in the middle of the log (a bad checksum or a garbled
   length with good frames after it) is never cut; readers skip it and resynchronise on the next
   good frame, and new records are appended after the last good frame. A copy of each damaged
   region is kept in ``damaged/`` next to the log. Only a *tail* (bytes after the last good frame
   that hold no good frame) is cut, so new frames are not appended behind it; a tail that is more
   than one frame cut short by a crash is kept in ``damaged/`` before it is cut. ``recovery``
   says what was found and kept.

Durability, which the online sender relies on:

* ``end`` is the offset just past the last whole frame handed to the OS (``write``); frames before
  it survive the death of this process (SIGKILL included) but not a power failure.
* ``durable_end`` is the offset up to which the log has been fsynced (``sync``); frames before it
  survive a power failure too. It only grows; another thread may read it at any time.
* ``frames(start, stop)`` reads ``(offset, payload)`` of the frames from ``start`` up to ``stop``
  (``durable_end`` by default), which is how a sender ships what is durable and no more.

``remove_run`` deletes a run's folder under the same lock: a run still being written is refused,
and none can start writing it while its folder goes.

A failed ``write`` (full disk, vanished folder) truncates the file back to ``end``, so a later
record never lands behind a partial frame, and raises the ``OSError``; the caller decides what to
report. Records larger than ``max_record`` bytes are refused with ``RecordTooLargeError`` before
anything is written (readers refuse frames over ``framing.MAX_FRAME``).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import RunyardError
from .framing import HEADER_SIZE, MAGIC, MAX_FRAME, ScanResult, frame, read_frames, scan
from .reader import SNAPSHOT_NAME
from .records import encode

DAMAGED_DIR = "damaged"
_LOCK_POLL = 0.05


class RunLockedError(RunyardError):
    """Another process is writing the run log (it holds its lock)."""


class RecordTooLargeError(RunyardError, ValueError):
    """A record is larger than the run log accepts; nothing was written."""


@dataclass
class Recovery:
    """What opening a log found and did: damaged regions left in place (and copied aside), and a
    tail cut off (``cut_bytes`` at ``cut_at``; ``tail_copy`` when its bytes were kept)."""

    damaged: list[tuple[int, int]] = field(default_factory=list)
    copies: list[Path] = field(default_factory=list)
    cut_at: int = 0
    cut_bytes: int = 0
    tail_copy: Path | None = None

    def __bool__(self) -> bool:
        return bool(self.damaged or self.cut_bytes)

    def message(self, what: str) -> str:
        """One sentence per finding, for ``what`` (e.g. "resuming run abc")."""
        parts = []
        if self.damaged:
            regions = ", ".join(f"{n} bytes at offset {o}" for o, n in self.damaged[:5])
            more = f" and {len(self.damaged) - 5} more" if len(self.damaged) > 5 else ""
            kept = f"; a copy is in {self.copies[0].parent}" if self.copies else ""
            parts.append(
                f"found damage in the middle of its log ({regions}{more}); every record after it "
                f"is still read and the damaged bytes stay in place{kept}"
            )
        if self.cut_bytes:
            kept = f" (kept in {self.tail_copy})" if self.tail_copy else ""
            parts.append(
                f"dropped {self.cut_bytes} bytes of a torn record at the end of its log, after offset "
                f"{self.cut_at}{kept}; every record before it was kept"
            )
        return f"{what}: " + "; ".join(parts)


def _lock_holder(path: Path) -> str:
    """'pid N on HOST' of the process holding the flock on ``path`` (from /proc/locks), or a
    description from the log's last START/RESUME record."""
    try:
        ino = os.stat(path).st_ino
        with open("/proc/locks") as f:
            for line in f:
                parts = line.split()
                # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
                if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5].rsplit(":", 1)[-1] == str(ino):
                    return f"pid {parts[4]} on {socket.gethostname()}"
    except (OSError, ValueError):
        pass
    return "another process"


def _flock(fd: int, path: Path, wait: float, run: str) -> None:
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            waited = f" (waited {wait:.0f} s)" if wait > 0 else ""
            raise RunLockedError(
                f"run {run} is still running: its log is being written by {_lock_holder(path)}{waited}; "
                f"one process writes a run at a time — finish it there first, or use another run id ({path})"
            )
        time.sleep(_LOCK_POLL)


def remove_run(log_path: Path) -> None:
    """Delete the folder of the run whose log is ``log_path`` (log, media, files), for good.
    Raises ``RunLockedError`` when a process is writing the run; nothing is deleted then."""
    fd = os.open(log_path, os.O_RDONLY)
    try:
        _flock(fd, log_path, 0.0, log_path.parent.name)
        shutil.rmtree(log_path.parent)
    finally:
        os.close(fd)


class RunLog:
    """The open, locked log of one run; see the module docstring."""

    def __init__(self, path: Path, fd: int, end: int, max_record: int, recovery: Recovery | None = None) -> None:
        self.path = path
        self.fd = fd
        self.end = end
        self.durable_end = end
        self.max_record = max_record
        self.recovery = recovery or Recovery()

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, first: list[Any], max_record: int = MAX_FRAME) -> RunLog:
        """Create a new log (it must not exist), lock it, and write the header and ``first`` (the
        START record), durably."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o644)
        log = cls(path, fd, 0, max_record)
        try:
            _flock(fd, path, 0.0, path.parent.name)
            log.write(MAGIC)
            log.append([first])
            log.sync()
        except BaseException:
            log.close()
            raise
        return log

    @classmethod
    def open(cls, path: Path, lock_wait: float = 0.0, max_record: int = MAX_FRAME) -> RunLog:
        """Open an existing log for appending: lock it (waiting up to ``lock_wait`` s), then
        recover (see the module docstring)."""
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            _flock(fd, path, lock_wait, path.parent.name)
            end, recovery = _recover(path, fd)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd, end, max_record, recovery)

    # -- writing -----------------------------------------------------------------------------

    def append(self, records: list[list[Any]]) -> None:
        """Encode, frame and write ``records`` (one ``write``); not yet fsynced."""
        self.write(encode_frames(records, self.max_record))

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Write already framed bytes at the end. On failure the file is cut back to ``end`` and
        the ``OSError`` is raised."""
        view = memoryview(data)
        written = 0
        try:
            while written < len(view):
                written += os.write(self.fd, view[written:])
        except OSError:
            try:
                os.ftruncate(self.fd, self.end)  # drop the partial frame; keep the log readable
            except OSError:
                pass
            raise
        finally:
            view.release()
        self.end += written

    def sync(self) -> None:
        """fsync; afterwards everything before ``end`` is durable."""
        end = self.end
        os.fsync(self.fd)
        self.durable_end = end

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, bytes]]:
        """``(offset, payload)`` of the good frames from ``start`` that end at or before ``stop``
        (default ``durable_end``)."""
        limit = self.durable_end if stop is None else stop
        for offset, payload in read_frames(self.path, start):
            if offset + HEADER_SIZE + len(payload) > limit:
                return
            yield offset, payload

    def close(self) -> None:
        """Close the file, which releases the lock."""
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def encode_frames(records: list[list[Any]], max_record: int = MAX_FRAME) -> bytes:
    """The framed bytes of ``records``; ``RecordTooLargeError`` for one over ``max_record``."""
    out = []
    for r in records:
        payload = encode(r)
        if len(payload) > max_record:
            raise RecordTooLargeError(record_too_large(r, len(payload), max_record))
        out.append(frame(payload))
    return b"".join(out)


def record_too_large(record: list[Any], size: int, limit: int) -> str:
    """Say which record (and, for a row or a summary edit, which keys) is over the limit."""
    keys = ""
    for part in record[1:]:
        if isinstance(part, dict) and part:
            sized = sorted(((len(encode([k, v])), k) for k, v in part.items()), reverse=True)
            keys = " (largest keys: " + ", ".join(f"{k!r} {n:,} bytes" for n, k in sized[:3]) + ")"
            break
    return (
        f"a record of {size:,} bytes{keys} is larger than the run log accepts ({limit:,} bytes, the "
        "max_record_bytes setting); it was not written. Store large data as a file or an artifact."
    )


def _recover(path: Path, fd: int) -> tuple[int, Recovery]:
    """Find the good frames, keep damaged regions, cut a tail; return the end offset."""
    result: ScanResult = scan(path)
    recovery = Recovery(list(result.damaged))
    if recovery.damaged:
        recovery.copies = [_keep_aside(path, off, n) for off, n in result.damaged]
    if result.torn_bytes:
        size = result.valid_end + result.torn_bytes
        if not _one_cut_frame(path, result.valid_end, size):
            recovery.tail_copy = _keep_aside(path, result.valid_end, result.torn_bytes)
        os.ftruncate(fd, result.valid_end)
        recovery.cut_at, recovery.cut_bytes = result.valid_end, result.torn_bytes
        (path.parent / SNAPSHOT_NAME).unlink(missing_ok=True)
    if result.valid_end == 0:  # a header torn at creation: start the file again
        os.write(fd, MAGIC)
        return len(MAGIC), recovery
    return result.valid_end, recovery


def _one_cut_frame(path: Path, start: int, size: int) -> bool:
    """Whether the bytes from ``start`` to ``size`` are the beginning of one frame that a crash cut
    short (its length runs past the end), as opposed to a garbled or bad-checksum frame."""
    if start == 0:
        return True  # a header torn at creation
    if size - start < HEADER_SIZE:
        return True
    with open(path, "rb") as f:
        f.seek(start)
        head = f.read(4)
    length = int.from_bytes(head, "little")
    return length <= MAX_FRAME and start + HEADER_SIZE + length > size


def _keep_aside(path: Path, offset: int, length: int) -> Path:
    """Copy ``length`` bytes at ``offset`` to ``damaged/<offset>.bin`` (once)."""
    folder = path.parent / DAMAGED_DIR
    folder.mkdir(exist_ok=True)
    out = folder / f"{path.name}.{offset}.bin"
    if not out.exists():
        with open(path, "rb") as f:
            f.seek(offset)
            remaining = length
            with open(out, "wb") as g:
                while remaining > 0:
                    chunk = f.read(min(remaining, 1 << 22))
                    if not chunk:
                        break
                    g.write(chunk)
                    remaining -= len(chunk)
    return out
