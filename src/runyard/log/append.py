"""Appending records to the log of a run that no process is writing any more (summary edits from
the read API or the server, docs/read-api.md "Summary edits"; the run log: docs/run-log.md).

``RunLog`` does the work: it takes the run's lock (so an edit never interleaves with a live
writer), cuts a torn tail (records appended after one would sit behind it), leaves damage in the
middle in place (readers resynchronise after it) and refuses a record larger than the log accepts.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from ..errors import RunyardError
from .framing import MAX_FRAME
from .runlog import RecordTooLargeError, Recovery, RunLockedError, RunLog, encode_frames

__all__ = ["DamagedLogError", "RecordTooLargeError", "RunLockedError", "append_records", "classify_tail"]

# How long an edit waits for a run's lock (a writer finishing, another edit).
EDIT_LOCK_WAIT = 5.0


class DamagedLogError(RunyardError):
    """Kept for callers that catch it: the log is damaged in a way that cannot be appended to."""


def classify_tail(log_path: Path, valid_end: int) -> str:
    """What follows the valid prefix: 'torn' (a frame cut short: a crash, or a frame still being
    written) or 'corrupt' (a complete frame that fails its checksum, or a garbled length)."""
    try:
        size = log_path.stat().st_size
        with open(log_path, "rb") as f:
            f.seek(valid_end)
            head = f.read(8)
    except OSError:
        return "torn"
    if len(head) < 8:
        return "torn"
    (length,) = struct.unpack_from("<I", head)
    if length > MAX_FRAME:
        return "corrupt"
    return "corrupt" if valid_end + 8 + length <= size else "torn"


def append_records(log_path: Path, records: list[list[Any]], max_record: int | None = None) -> Recovery:
    """Append ``records`` durably (one write, then fsync) to a log no process is writing.

    Raises ``RunLockedError`` when a process holds the run's lock for longer than
    ``EDIT_LOCK_WAIT``, ``RecordTooLargeError`` (nothing appended) for a record over
    ``max_record`` bytes (default: the ``max_record_bytes`` setting). Returns what recovery found.
    """
    if max_record is None:
        from ..settings import resolve

        max_record = int(resolve()["max_record_bytes"])
    data = encode_frames(records, max_record)  # refuses an oversized record before anything changes
    with RunLog.open(log_path, lock_wait=EDIT_LOCK_WAIT, max_record=max_record) as log:
        log.write(data)
        log.sync()
        return log.recovery
