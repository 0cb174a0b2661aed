"""Console capture (docs/semantics.md, "Console output"): stdout and stderr keep going to the terminal unchanged, and a
copy goes to the run log as output records, a line (or 4 kB) at a time."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

STDOUT, STDERR = 1, 2
_CHUNK = 4096


class Tee:
    """Wraps a text stream; ``emit(ts, stream_id, text)`` receives complete lines."""

    def __init__(self, stream: TextIO, stream_id: int, emit: Callable[[float, int, str], None]) -> None:
        self._stream = stream
        self._id = stream_id
        self._emit = emit
        self._pending: list[str] = []
        self._size = 0
        self._lock = threading.Lock()
        self.active = True

    def write(self, text: str) -> int:
        n = self._stream.write(text)
        if self.active and text:
            with self._lock:
                self._pending.append(text)
                self._size += len(text)
                if "\n" in text or self._size >= _CHUNK:
                    self._flush_locked()
        return n

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def drain(self) -> None:
        """Hand any partial line to the log (at finish)."""
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self._size = 0
            self._emit(time.time(), self._id, text)

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, isatty, buffer, ...
        return getattr(self._stream, name)


class ConsoleCapture:
    """Installs tees on ``sys.stdout``/``sys.stderr`` and removes them again."""

    def __init__(self, emit: Callable[[float, int, str], None]) -> None:
        self._emit = emit
        self._tees: list[tuple[str, Tee]] = []

    def start(self) -> None:
        for name, sid in (("stdout", STDOUT), ("stderr", STDERR)):
            stream = getattr(sys, name)
            if stream is None:
                continue
            tee = Tee(stream, sid, self._emit)
            setattr(sys, name, tee)
            self._tees.append((name, tee))

    def stop(self) -> None:
        for name, tee in self._tees:
            tee.drain()
            tee.active = False
            if getattr(sys, name) is tee:
                setattr(sys, name, tee._stream)
        self._tees.clear()

    def detach(self) -> None:
        """In a forked child: stop copying (the parent's writer is not ours), keep printing."""
        for _, tee in self._tees:
            tee.active = False
            tee._pending.clear()
