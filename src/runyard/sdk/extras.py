"""What a live run records besides the user's rows: system metrics (``sysmetrics``), code and
environment (``capture``), saved files (``files``) and alerts. ``Run`` delegates here; each part
feeds the run's writer queue and none of them ever blocks ``log()``."""

from __future__ import annotations

import enum
import os
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..log.records import Kind
from .capture import Capture
from .files import FileSaver, restore
from .items import RecordItem
from .report import say
from .sysmetrics import Sampler

if TYPE_CHECKING:
    from .run import Run

DEFAULT_ALERT_WAIT = 60.0  # seconds, as wandb's
CAPTURE_WAIT = 10.0  # longest finish() waits for the environment capture


class AlertLevel(str, enum.Enum):
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class RunExtras:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.folder = Path(run.dir)
        self.files = FileSaver(self.folder)
        self.sampler: Sampler | None = None
        self.capture: Capture | None = None
        self._alerted: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def start(self) -> None:
        """Start the background thread: the capture, then the sampler (``init()`` calls this once the
        writer runs). One thread for both: starting a thread makes the caller wait for it to run,
        ~10 ms each on a busy machine, and ``init()`` should not pay that twice."""
        s = self.run._settings
        if s.get("system_metrics", True) and not s.get("x_disable_stats", False):
            self.sampler = Sampler(self._emit_system, self.run._writer.state.system_samples, str(self.folder),
                                   float(s.get("stats_sample_interval", 2.0)),
                                   float(s.get("stats_write_interval", 15.0)))
        self.capture = Capture(self.folder, s, self._emit_metadata)
        self._thread = threading.Thread(target=self._background, name="runyard-extras", daemon=True)
        self._thread.start()

    def _background(self) -> None:
        if self.capture is not None:
            self.capture.run()
        if self.sampler is not None:
            self.sampler.run()

    def _emit(self, record: list[Any]) -> None:
        run = self.run
        if run._accepting:  # after finish() (or in a forked child) it is dropped quietly
            run._queue_put(RecordItem(record))

    def _emit_system(self, no: int, ts: float, values: dict[str, float]) -> None:
        self._emit([Kind.SYSTEM, no, ts, self.run._runtime_offset + ts - self.run._start_wall, values])

    def _emit_metadata(self, found: dict[str, Any]) -> None:
        self._emit([Kind.METADATA, found])

    def finish(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()  # the loop writes its last row and returns
        thread = self._thread
        if thread is not None and os.getpid() == self._pid:
            thread.join(CAPTURE_WAIT)
            if thread.is_alive():
                say(f"the environment capture (git diff, packages) took over {CAPTURE_WAIT:.0f} s; "
                    "the run finished without what was still missing")
        self.files.finish()

    def log_code(self, root: str | os.PathLike[str], include_fn: Any, exclude_fn: Any) -> dict[str, Any]:
        s = self.run._settings
        found = self.files.log_code(root, include_fn, exclude_fn, int(s.get("max_code_bytes", 10_000_000)),
                                    Path(self.run.root).expanduser())
        if found.get("left_out"):
            say(f"log_code(): stored {len(found['files'])} files and left out {found['left_out']} past "
                f"max_code_bytes ({int(s.get('max_code_bytes', 0)):,} bytes); files/code-left-out.txt lists them")
        self._emit_metadata({"code_tree": {k: v for k, v in found.items() if k != "errors"}})
        return found

    def restore(self, name: str, run_path: str | None, replace: bool, root: str | os.PathLike[str] | None) -> IO[str]:
        source = self.folder if run_path is None else run_folder(run_path, Path(self.run.root).expanduser(),
                                                                  self.run.project)
        dest = Path(root) if root is not None else self.folder / "files"
        return restore(name, source, dest, replace)

    def alert(self, title: str, text: str, level: Any, wait_duration: Any) -> None:
        if not isinstance(title, str) or not isinstance(text, str):
            raise TypeError(f"alert(): title and text must be strings, got {type(title).__name__} and "
                            f"{type(text).__name__}")
        name = str(getattr(level, "value", level) or "INFO").upper()
        if name == "WARNING":
            name = "WARN"
        if name not in AlertLevel.__members__:
            raise ValueError(f"alert(): level must be INFO, WARN or ERROR, got {level!r}")
        wait = wait_duration.total_seconds() if isinstance(wait_duration, timedelta) else \
            float(wait_duration) if wait_duration is not None else DEFAULT_ALERT_WAIT
        now = time.time()
        last = self._alerted.get(title)
        if last is not None and now - last < wait:
            say(f"alert {title!r} skipped: the same title was raised {now - last:.0f} s ago "
                f"(wait_duration {wait:.0f} s)")
            return
        self._alerted[title] = now
        say(f"alert [{name}] {title}: {text}")
        self.run._put_record([Kind.ALERT, now, {"title": title, "text": text, "level": name,
                                                "wait_duration": wait}])


def run_folder(run_path: str, runs_root: Path, default_project: str | None) -> Path:
    """The folder of ``entity/project/run_id``, ``project/run_id`` or ``run_id`` under ``runs_root``."""
    parts = [p for p in str(run_path).split("/") if p]
    if not parts or len(parts) > 3:
        raise ValueError(f"restore(): run_path must be 'entity/project/run_id' or 'project/run_id', got {run_path!r}")
    if len(parts) == 1 and default_project is None:
        raise ValueError(f"restore(): run_path {run_path!r} names no project; give 'project/run_id'")
    project, rid = (default_project, parts[0]) if len(parts) == 1 else (parts[-2], parts[-1])
    folder = runs_root / str(project) / rid
    if not folder.is_dir():
        raise ValueError(f"restore(): no run {rid!r} in project {project!r} under {runs_root}")
    return folder
