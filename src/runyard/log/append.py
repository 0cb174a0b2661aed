"""Appending records to the log of a run that no process is writing any more (summary edits from
the read API or the server, docs/read-api.md "Summary edits").

A crashed run may end in a torn frame. Records appended after it would be unreadable (readers stop
at the first bad frame), so the torn tail is cut first, as a resuming writer does. A log damaged in
the middle (a complete frame with a bad checksum) is left alone: cutting there would throw away
records a repair tool might still recover.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

from ..errors import RunyardError
from .framing import MAX_FRAME, frame, scan
from .records import encode


class DamagedLogError(RunyardError):
    """The log is damaged before its end; it was not changed."""


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


def append_records(log_path: Path, records: list[list[Any]]) -> None:
    """Append ``records`` durably (one write, then fsync), cutting a torn tail first.

    The caller makes sure no process is writing the log (the run is not running). Raises
    ``DamagedLogError`` when the log is damaged in the middle.
    """
    result = scan(log_path)
    if result.torn_bytes:
        if classify_tail(log_path, result.valid_end) == "corrupt":
            raise DamagedLogError(
                f"{log_path} is damaged at offset {result.valid_end}; it was not edited (every record "
                "before that offset still reads back)"
            )
        os.truncate(log_path, result.valid_end)
    data = b"".join(frame(encode(r)) for r in records)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
