"""Remembered file hashes, so logging or downloading unchanged files again reads no bytes.

A file's SHA-256 is remembered with its path, device, inode, size and modification time (ns);
a file whose stat differs in any of them is hashed again. The cache is one SQLite file
(``<root>/.artifacts/hashes.sqlite``) shared by the processes of a root; losing it costs a
re-hash, never a wrong answer beyond what a same-size, same-mtime rewrite could fool (the
trade-off every stat-based cache makes, git's index among them).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class HashCache:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS hashes (path TEXT PRIMARY KEY, dev INTEGER, ino INTEGER, "
            "size INTEGER, mtime_ns INTEGER, digest TEXT)"
        )

    def get_many(self, items: Iterable[tuple[str, os.stat_result]]) -> dict[str, str]:
        """``{path: digest}`` for the files whose stat matches what was remembered."""
        wanted = {p: stat_key(st) for p, st in items}
        out: dict[str, str] = {}
        paths = list(wanted)
        with self._lock:
            for i in range(0, len(paths), 500):
                chunk = paths[i : i + 500]
                marks = ",".join("?" * len(chunk))
                q = f"SELECT path, dev, ino, size, mtime_ns, digest FROM hashes WHERE path IN ({marks})"
                for path, dev, ino, size, mtime, digest in self._db.execute(q, chunk):
                    if wanted[path] == (dev, ino, size, mtime):
                        out[path] = digest
        return out

    def put_many(self, items: Iterable[tuple[str, os.stat_result, str]]) -> None:
        rows = [(p, *stat_key(st), d) for p, st, d in items]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
