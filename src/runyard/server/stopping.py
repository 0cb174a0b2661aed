"""A server asked to stop ends its live-event streams at once.

uvicorn, asked to stop (Ctrl+C, SIGTERM), waits for the requests still open before it exits, and
a browser's live-event stream never ends by itself: with a tab open, `runyard ui` did not stop.
The app chains onto the process's SIGINT and SIGTERM handlers when it starts (uvicorn has
installed its own by then, in the process that serves, whatever the number of workers), and each
stream waits for the next change or for this, whichever comes first."""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Any


class Stopping:
    """Set when the server is asked to stop; ``event`` is awaited by the streams."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self) -> None:
        """Called from the app's startup, on its event loop. Chains onto SIGINT and SIGTERM when
        that loop runs in the main thread (a server in a thread, as tests run one, is stopped
        through ``stop()``)."""
        self._loop = asyncio.get_running_loop()
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(sig)

            def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                self.stop()
                if callable(previous):
                    previous(signum, frame)

            signal.signal(sig, handler)

    def stop(self) -> None:
        """Ends the streams (from any thread)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.event.set)


async def first_of(wait: Any, stopping: Stopping, timeout: float | None) -> None:
    """Await ``wait`` until it is done, the server stops or ``timeout`` seconds pass."""
    waiter = asyncio.ensure_future(wait)
    stopper = asyncio.ensure_future(stopping.event.wait())
    try:
        await asyncio.wait({waiter, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, stopper):
            task.cancel()
