"""Every history row of a run, unsampled, streamed in pages straight from its log (what
``scan_history`` needs over HTTP), and the list of a run's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..log.framing import LogFormatError, LogStream, ScanResult
from ..log.reader import LOG_NAME, history_rows
from ..store.jsonutil import jsonable
from .errors import ApiError
from .files import SERVED_DIRS


def history_page(folder: Path | None, after: int, page_size: int, min_step: int, max_step: int | None,
                 keys: list[str] | None, log: LogStream | None = None) -> dict[str, Any]:
    """Rows after log offset ``after`` (0: from the start): ``{rows, next, more}``.

    Pass ``next`` back as ``after`` to continue; each page reads only its own part of the log.
    With ``keys``, only rows holding all of them, reduced to them (plus ``_step``,
    ``_timestamp``, ``_runtime``), as wandb's ``scan_history(keys=...)`` does. ``log``: a stream
    to read instead of the folder's log (a team server's log held in its database).
    """
    rows: list[dict[str, Any]] = []
    scan = ScanResult(after, 0)
    next_offset, more = after, False
    try:
        source = log if log is not None else (folder or Path()) / LOG_NAME
        last = -1
        for off, row in history_rows(source, after, min_step, max_step, keys, scan):
            if len(rows) >= page_size and off != last:  # rows of one frame (a ROWS block) share a page
                next_offset, more = off, True
                break
            last = off
            rows.append(jsonable(row))
        else:
            next_offset = scan.valid_end
    except (OSError, LogFormatError) as exc:
        raise ApiError(404, f"the run's log cannot be read: {exc}") from None
    return {"rows": rows, "next": next_offset, "more": more}


def list_files(folder: Path) -> list[dict[str, Any]]:
    """Files under the run's ``media/`` and ``files/`` folders, with their sizes."""
    out = []
    base = folder.resolve()
    for sub in SERVED_DIRS:
        top = base / sub
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-") and path.resolve().is_relative_to(top):
                out.append({"path": str(path.relative_to(base)), "size": path.stat().st_size})
    return out
