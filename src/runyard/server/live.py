"""The background ingest loop: follows the run logs and keeps the index current.

One thread owns ingest (``Ingestor`` serialises runs with a lock, so a summary edit that
ingests its run at once cannot race it). Each pass reads only what was appended since the last
one, so a flushed row reaches the API within ``interval`` plus the time of one pass.
"""

from __future__ import annotations

import logging
import threading
import time

from ..store.ingest import Ingestor

log = logging.getLogger("runyard.server")


class IngestLoop:
    def __init__(self, ingestor: Ingestor, interval: float = 0.25) -> None:
        self.ingestor = ingestor
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: set[str] = set()
        self.passes = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="runyard-ingest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.ingestor.ingest_all()
            except Exception as exc:  # keep serving; report each kind of failure once
                kind = type(exc).__name__
                if kind not in self._reported:
                    self._reported.add(kind)
                    log.exception("ingest pass failed (%s); the server keeps serving and retries", kind)
            self.passes += 1
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
