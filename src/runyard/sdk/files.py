"""The one owner of a run's ``files/`` folder for the user's files: ``run.save`` (policies ``now``,
``live``, ``end``), ``run.log_code`` and ``restore``.

Copies go to a temporary name and are renamed, so the UI never shows half a file. A file that
cannot be read is reported on stderr naming it, and the run goes on. ``live`` globs are watched by a
daemon thread that re-copies a file when its size or modification time changes (and once more at
``finish``); ``end`` globs are copied at ``finish``.
"""

from __future__ import annotations

import glob as globlib
import inspect
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..types.base import copy_atomic
from .capture import copy_code
from .report import say

POLICIES = ("live", "now", "end")
WATCH_INTERVAL = 1.0  # seconds between checks of live files
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "venv", "env"}


class FileSaver:
    def __init__(self, run_folder: Path) -> None:
        self.files_dir = run_folder / "files"
        self._lock = threading.Lock()
        self._live: list[tuple[str, Path]] = []  # (absolute glob, base path)
        self._end: list[tuple[str, Path]] = []
        self._seen: dict[Path, tuple[int, int]] = {}  # live file -> (size, mtime_ns) last copied
        self._reported: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    # -- save ----------------------------------------------------------------------------------

    def save(self, glob_str: str | os.PathLike[str], base_path: str | os.PathLike[str] | None,
             policy: str) -> list[str]:
        if policy not in POLICIES:
            raise ValueError(f"save(): policy must be 'live', 'now' or 'end', got {policy!r}")
        pattern = os.path.abspath(os.fspath(glob_str))
        base = Path(os.path.abspath(os.fspath(base_path))) if base_path is not None else \
            Path(os.path.dirname(pattern.split("*", 1)[0].split("?", 1)[0].split("[", 1)[0]) or os.sep)
        if not Path(pattern).is_relative_to(base):
            raise ValueError(f"save(): {os.fspath(glob_str)!r} is not inside base_path {str(base)!r}")
        if policy == "end":
            with self._lock:
                self._end.append((pattern, base))
            return []
        stored = self._copy_matches(pattern, base, live=policy == "live")
        if policy == "live":
            with self._lock:
                self._live.append((pattern, base))
            self._watch()
        elif not stored and not globlib.has_magic(pattern) and not os.path.exists(pattern):
            say(f"save(): no file {pattern!r}; nothing was saved (the run goes on)")
        return stored

    def _copy_matches(self, pattern: str, base: Path, live: bool) -> list[str]:
        stored = []
        for match in sorted(globlib.glob(pattern, recursive=True)):
            src = Path(match)
            if src.is_dir() or src.resolve().is_relative_to(self.files_dir.resolve()):
                continue
            rel = src.relative_to(base).as_posix()
            try:
                st = src.stat()
                if live and self._seen.get(src) == (st.st_size, st.st_mtime_ns):
                    continue
                copy_atomic(src, self.files_dir / rel)
            except OSError as e:
                if match not in self._reported:  # a live file is retried quietly after the first report
                    self._reported.add(match)
                    say(f"save(): cannot read {match!r} — {e.strerror or e}; it was not saved (the run goes on)")
                continue
            self._seen[src] = (st.st_size, st.st_mtime_ns)
            stored.append(rel)
        return stored

    def _watch(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="runyard-files", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL):
            self.refresh_live()

    def refresh_live(self) -> None:
        with self._lock:
            live = list(self._live)
        for pattern, base in live:
            self._copy_matches(pattern, base, live=True)

    def finish(self) -> None:
        """Copy ``end`` globs and the last state of ``live`` ones; stop the watcher."""
        if os.getpid() != self._pid:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self.refresh_live()
        with self._lock:
            end, self._end = self._end, []
        for pattern, base in end:
            if not self._copy_matches(pattern, base, live=False) and not globlib.has_magic(pattern):
                say(f"save(policy='end'): no file {pattern!r} at finish; nothing was saved")

    # -- log_code -------------------------------------------------------------------------------

    def log_code(self, root: str | os.PathLike[str], include_fn: Callable[..., bool] | None,
                 exclude_fn: Callable[..., bool] | None, max_bytes: int, runs_root: Path) -> dict[str, Any]:
        """Store the files under ``root`` that ``include_fn`` takes and ``exclude_fn`` does not
        (default: ``*.py``), skipping hidden folders, virtualenvs and the folder of runs."""
        top = Path(os.path.abspath(os.fspath(root)))
        if not top.is_dir():
            raise ValueError(f"log_code(): root {os.fspath(root)!r} is not a folder")
        include = _two_args(include_fn) if include_fn else (lambda p, r: p.endswith(".py"))
        exclude = _two_args(exclude_fn) if exclude_fn else (lambda p, r: False)
        runs = runs_root.resolve()
        found: list[tuple[Path, str]] = []
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS
                                 and (Path(dirpath) / d).resolve() != runs)
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if include(path, str(top)) and not exclude(path, str(top)):
                    found.append((Path(path), Path(path).relative_to(top).as_posix()))
        result = copy_code(found, self.files_dir / "code", max_bytes)
        for err in result.get("errors", []):
            say(f"log_code(): cannot read {err}; that file was not stored (the run goes on)")
        return {"root": str(top), **result}


def _two_args(fn: Callable[..., bool]) -> Callable[[str, str], bool]:
    """wandb's include_fn/exclude_fn take (path, root) or just (path)."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
        takes_two = len(params) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
    except (TypeError, ValueError):
        takes_two = False
    return (lambda p, r: bool(fn(p, r))) if takes_two else (lambda p, r: bool(fn(p)))


# -- restore ------------------------------------------------------------------------------------


def restore(name: str, source_run: Path, dest_dir: Path, replace: bool) -> IO[str]:
    """Copy ``files/<name>`` of the run in ``source_run`` into ``dest_dir``; open it for reading."""
    src = (source_run / "files" / name).resolve()
    if not src.is_relative_to((source_run / "files").resolve()):
        raise ValueError(f"restore(): {name!r} is outside the run's files/")
    if not src.is_file():
        have = sorted(p.relative_to(source_run / "files").as_posix()
                      for p in (source_run / "files").rglob("*") if p.is_file())[:20] \
            if (source_run / "files").is_dir() else []
        raise ValueError(f"restore(): no file {name!r} in {source_run / 'files'}"
                         + (f"; it holds {', '.join(have)}" if have else "; that run saved no files"))
    dest = dest_dir / name
    if dest.resolve() != src and (replace or not dest.exists()):
        copy_atomic(src, dest)
    return open(dest, encoding="utf-8", errors="replace")
