"""Reporting internal trouble once per kind, on the real stderr: "what failed — the error — what
happens now". Warnings about the user's own calls use ``warnings.warn`` instead."""

from __future__ import annotations

import sys
import threading


class Reporter:
    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self.messages: list[str] = []

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()

    def once(self, kind: str, message: str) -> None:
        with self._lock:
            if kind in self._seen:
                return
            self._seen.add(kind)
            self.messages.append(message)
        say(message)


def say(message: str) -> None:
    """Print one line to the process's real stderr (not the run's captured copy)."""
    stream = sys.__stderr__
    if stream is None:
        return
    try:
        stream.write(f"runyard: {message}\n")
        stream.flush()
    except (OSError, ValueError):
        pass  # stderr closed: nowhere left to say it
