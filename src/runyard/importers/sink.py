"""Writing one imported run as an ordinary runyard run folder.

An import is built in ``<root>/.importing/<project>/<id>/`` (the index skips folders whose name
starts with a dot) and renamed into ``<root>/<project>/<id>/`` only once its log is complete and
synced. So a killed import leaves nothing half-visible, and importing again is idempotent: a run
whose folder exists is skipped (``force=True`` replaces it).

Rows must come in increasing step order with their original wall times; values may be numbers,
strings, lists, dicts and runyard media objects (``Image``, ``Histogram``, ``Audio``, ...), which
are stored content-addressed under the run's ``media/`` exactly as ``log()`` stores them.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from ..log.reader import LOG_NAME
from ..log.records import Kind
from ..log.rowblock import RowsBlock, rows_record
from ..log.runlog import RunLog, encode_frames
from ..sdk.values import Normalized, materialize, normalize
from ..types.base import MediaStore
from .report import ImportReport

STAGING = ".importing"
_FLUSH_BYTES = 4 * 1024 * 1024
_FLOAT_ROWS = 4096  # rows of floats under the same keys written as one columnar ROWS record


def project_name(name: str, fallback: str) -> str:
    """``name`` made a valid project name (letters, digits, ``_.-``; at most 128), or ``fallback``."""
    safe = re.sub(r"[^A-Za-z0-9_.\-]", "-", name).strip(".-")
    return safe[:128] or fallback


def run_exists(root: Path, project: str, run_id: str) -> bool:
    """Whether ``project/run_id`` already holds a run log under ``root``."""
    return (root / project / run_id / LOG_NAME).is_file()


class ImportedRun:
    """One run being imported. Use as a context manager: the folder appears on a clean exit only.

    ``report`` collects the points and media written and what could not be mapped.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        project: str,
        run_id: str,
        *,
        report: ImportReport,
        name: str | None = None,
        created_at: float,
        config: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        group: str | None = None,
        job_type: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | None = None,
        entity: str = "local",
    ) -> None:
        self.root = Path(root)
        self.project, self.run_id, self.report = project, run_id, report
        self.final = self.root / project / run_id
        self.folder = self.root / STAGING / project / run_id
        if self.folder.exists():  # left behind by an import that was killed
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        self.media = MediaStore(self.folder)
        self.created_at = created_at
        self.last_step = -1
        self.system_samples = 0
        self.last_ts = created_at
        self._buf = bytearray()
        self._floats: list[tuple[int, float, list[float]]] = []
        self._floats_keys: tuple[str, ...] = ()
        meta = {"host": socket.gethostname(), "imported": True, **(metadata or {})}
        self._log = RunLog.create(self.folder / LOG_NAME, [Kind.START, {
            "id": run_id, "project": project, "entity": entity, "name": name or run_id,
            "config": self._plain(config or {}, "config"), "tags": [str(t) for t in tags or []],
            "group": group, "job_type": job_type, "notes": notes, "metadata": meta,
            "created_at": created_at, "pid": 0, "host": meta["host"], "pid_start": "",
        }])

    # -- records ---------------------------------------------------------------------------------

    def row(self, step: int, timestamp: float, values: dict[str, Any]) -> None:
        """Append one history row. Steps must increase; a row that goes back is counted as not mapped."""
        if step <= self.last_step:
            self.report.not_mapped("rows with a step not above the previous one")
            return
        if all(type(v) is float for v in values.values()) and values:
            keys = tuple(values)
            if keys != self._floats_keys:
                self._flush_floats()
                self._floats_keys = keys
            self._floats.append((step, timestamp, list(values.values())))
            self.last_step = step
            self.last_ts = max(self.last_ts, timestamp)
            if len(self._floats) >= _FLOAT_ROWS:
                self._flush_floats()
            return
        data = self._values(values, f"step {step}")
        if not data:
            return
        self.last_step = step
        self.last_ts = max(self.last_ts, timestamp)
        self._append([Kind.ROW, step, timestamp, max(0.0, timestamp - self.created_at), data])

    def _flush_floats(self) -> None:
        """Rows of floats under the same keys, buffered by ``row``, as one ROWS record."""
        if not self._floats:
            return
        rows, self._floats = self._floats, []
        steps = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        ts = np.fromiter((r[1] for r in rows), np.float64, len(rows))
        self._append_rows(list(self._floats_keys), steps, ts, np.array([r[2] for r in rows], np.float64))

    def rows(self, steps: npt.NDArray[np.int64], timestamps: npt.NDArray[np.float64], keys: list[str],
             values: npt.NDArray[np.float64]) -> None:
        """Append rows of numbers under the same keys (``values[i, j]`` is ``keys[j]`` at ``steps[i]``)
        as one columnar ROWS record. Steps must increase, starting above the last row's."""
        if len(steps) == 0:
            return
        self._flush_floats()
        if steps[0] <= self.last_step or (len(steps) > 1 and not (np.diff(steps) > 0).all()):
            raise ValueError(f"rows of {self.project}/{self.run_id} must come in increasing step order")
        self.last_step = int(steps[-1])
        self.last_ts = max(self.last_ts, float(timestamps.max()))
        self._append_rows(keys, steps, timestamps, values)

    def _append_rows(self, keys: list[str], steps: npt.NDArray[np.int64], timestamps: npt.NDArray[np.float64],
                     values: npt.NDArray[np.float64]) -> None:
        runtimes = np.maximum(timestamps - self.created_at, 0.0)
        self._append(rows_record(RowsBlock(keys, steps, timestamps, runtimes, values)))
        self.report.points += int(values.size)

    def system(self, timestamp: float, values: dict[str, float]) -> None:
        """One sample of system metrics (``system/...`` keys), a stream of its own by wall time
        (``docs/run-log.md``, "System metrics")."""
        data = {k: float(v) for k, v in values.items() if type(v) in (int, float)}
        if data:
            self._append([Kind.SYSTEM, self.system_samples, timestamp, max(0.0, timestamp - self.created_at), data])
            self.system_samples += 1
            self.report.points += len(data)

    def summary(self, values: dict[str, Any]) -> None:
        """Set summary values explicitly (those the source kept beside its history)."""
        data = self._values(values, "the summary")
        if data:
            self._append([Kind.SUMMARY, data, []])

    def output(self, timestamp: float, text: str, stream: int = 1) -> None:
        """Console output (stream 1 stdout, 2 stderr)."""
        if text:
            self._append([Kind.OUTPUT, timestamp, stream, text])

    def end(self, timestamp: float | None = None, exit_code: int = 0, error: str | None = None) -> None:
        ts = self.last_ts if timestamp is None else timestamp
        extra = {"error": error} if error else {}
        self._append([Kind.END, ts, max(0.0, ts - self.created_at), exit_code, extra])

    # -- completion ------------------------------------------------------------------------------

    def __enter__(self) -> ImportedRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abandon()

    def commit(self) -> None:
        """Sync the log and its media, then move the run folder into place."""
        self._flush_floats()
        self._flush()
        self._log.sync()
        self._log.close()
        self.media.sync()
        if self.final.exists():
            shutil.rmtree(self.final)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.folder, self.final)
        self.report.runs += 1
        self.report.folders.append(self.final)

    def abandon(self) -> None:
        self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- internals -------------------------------------------------------------------------------

    def _append(self, record: list[Any]) -> None:
        if self._floats and record[0] != Kind.ROWS:
            self._flush_floats()  # buffered rows come before any later record
        self._buf += encode_frames([record], self._log.max_record)
        if len(self._buf) >= _FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._buf:
            self._log.write(self._buf)
            self._buf = bytearray()

    def _values(self, values: dict[str, Any], where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in values.items():
            if type(value) in (int, float, bool):
                out[key] = value
                self.report.points += 1
                continue
            flags = Normalized()
            try:
                stored = normalize(key, value, flags)
                if flags.media:
                    stored = materialize(stored, self.media)
                    self.report.media += 1
                else:
                    self.report.points += 1
            except Exception as e:  # one bad value must not stop the import of the rest
                self.report.not_mapped(f"{type(value).__name__} values ({type(e).__name__})")
                if len(self.report.errors) < 20:
                    self.report.errors.append(f"{self.project}/{self.run_id} {key!r} at {where}: {e}")
                continue
            out[key] = stored
        return out

    def _plain(self, d: dict[str, Any], where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in d.items():
            try:
                out[str(key)] = normalize(str(key), value, Normalized())
            except Exception:
                out[str(key)] = str(value)
                self.report.not_mapped(f"{where} values stored as text")
        return out
