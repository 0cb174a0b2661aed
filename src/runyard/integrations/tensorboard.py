"""``init(sync_tensorboard=True)`` and ``runyard.tensorboard.patch()``: what a script writes to
TensorBoard reaches the run as it trains (docs/wandb-compat.md, "TensorBoard").

``patch`` hooks the event-file writers of PyTorch (``torch.utils.tensorboard``) and tensorboardX,
now or when they are imported later, so each writer's log directory becomes known as it opens.
Writers of other libraries (TensorFlow's ``tf.summary``, Keras' ``TensorBoard`` callback) are
found through ``root_logdir``: every event file under it is read. A thread reads the records
added to each event file every ``POLL`` seconds (the complete ones: a record still being written
waits for the next read) and logs each step's values as one row with ``global_step``, the
TensorBoard step, which is made the step metric of every key it brings (as wandb does).
Values are mapped as ``runyard import tensorboard`` maps them (``importers/tensorboard.py``). With
several log directories (Keras writes ``train/`` and ``validation/``), a key is prefixed by its
directory relative to ``root_logdir``, or to the directories' common parent.

At ``finish()`` the writers still open are flushed (PyTorch's buffers events up to two minutes)
and read once more; with ``save=True`` the event files are stored with the run
(``files/tensorboard/...``)."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import threading
import time
import weakref
from pathlib import Path
from types import ModuleType
from typing import Any

from ..importers.report import ImportReport
from ..importers.tensorboard import EVENT_GLOB, TagPlugins, decode_value, find_runs, protos
from ..importers.tfrecord import RecordError, record_length
from ..sdk.report import Reporter, say
from ..types.base import copy_atomic

__all__ = ["patch", "unpatch"]

POLL = 1.0  # seconds between reads of the event files
DRAIN = 2.0  # seconds finish() waits for a tensorboardX writer's queue
# modules whose FileWriter (``__init__(logdir, ...)``, ``get_logdir()``, ``flush()``) is hooked
_WRITER_MODULES = ("torch.utils.tensorboard.writer", "tensorboardX.writer")

_lock = threading.Lock()
_patch: _Patch | None = None
_syncs: dict[int, _Sync] = {}  # id(run) -> its sync


class _Patch:
    def __init__(self, root_logdir: str | None, save: bool) -> None:
        self.root = Path(root_logdir).resolve() if root_logdir else None
        self.save = save
        self.logdirs: list[Path] = []
        self.writers: weakref.WeakSet[Any] = weakref.WeakSet()
        self.originals: dict[str, Any] = {}  # module name -> FileWriter.__init__ before the hook
        # how far each event file was read, by any run of this process: a later run takes only
        # what was written after (a file is not read into two runs)
        self.offsets: dict[Path, int] = {}
        self.namespaces: dict[Path, str] = {}  # each log directory's key prefix, fixed once chosen
        self.damaged: set[Path] = set()  # event files found damaged: not read further
        self.plugins = TagPlugins()  # each tag's plugin, named by its first event only

    def seen(self, writer: Any) -> None:
        """A writer opened its log directory."""
        try:
            logdir = Path(str(writer.get_logdir())).resolve()
        except Exception:  # noqa: BLE001 - a writer we cannot ask stays unsynced, training goes on
            return
        with _lock:
            self.writers.add(writer)
            if logdir not in self.logdirs:
                self.logdirs.append(logdir)


def patch(root_logdir: str | os.PathLike[str] | None = None, save: bool = True, tensorboard_x: bool | None = None,
          pytorch: bool | None = None) -> None:
    """Sync what TensorBoard writers write into the current run and those started after
    (``init(sync_tensorboard=True)`` calls it). ``root_logdir``: read every event file under it,
    whichever library writes them; ``save``: store the event files with the run at ``finish()``.
    ``tensorboard_x`` / ``pytorch`` (wandb's): False leaves that library's writer unhooked."""
    global _patch
    with _lock:
        if _patch is None:
            _patch = _Patch(os.fspath(root_logdir) if root_logdir else None, save)
        else:
            if root_logdir:
                _patch.root = Path(root_logdir).resolve()
            _patch.save = save
        choices = (("tensorboardX.writer", tensorboard_x), ("torch.utils.tensorboard.writer", pytorch))
        skip = {name for name, on in choices if on is False}
        wanted = [m for m in _WRITER_MODULES if m not in skip]
    for name in wanted:
        if name in sys.modules:
            _hook(sys.modules[name])
    if not any(isinstance(f, _HookOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _HookOnImport(wanted))
    from ..sdk import lifecycle
    from ..sdk.run import Run

    run = lifecycle.current()
    if isinstance(run, Run):
        start(run)


def unpatch() -> None:
    """Undo ``patch``: writers opened after it are not synced (the runs going on keep what they read)."""
    global _patch
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _HookOnImport)]
    with _lock:
        p, _patch = _patch, None
    if p is not None:
        for name, init in p.originals.items():
            module = sys.modules.get(name)
            if module is not None:
                module.FileWriter.__init__ = init


def _hook(module: ModuleType) -> None:
    p = _patch
    cls = getattr(module, "FileWriter", None)
    if p is None or cls is None or module.__name__ in p.originals:
        return
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if _patch is not None:
            _patch.seen(self)

    p.originals[module.__name__] = original
    cls.__init__ = __init__


class _HookOnImport(importlib.abc.MetaPathFinder):
    """Hooks a writer module as it is imported (after ``patch``): finds it with the other finders
    and wraps its loader's ``exec_module``."""

    def __init__(self, names: list[str]) -> None:
        self.names = set(names)
        self._finding: set[str] = set()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names or fullname in self._finding:
            return None
        self._finding.add(fullname)
        try:
            spec = next((s for f in sys.meta_path if f is not self and hasattr(f, "find_spec")
                         for s in [f.find_spec(fullname, path, target)] if s is not None), None)
        finally:
            self._finding.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            _hook(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def start(run: Any) -> None:
    """Sync into ``run`` (called by ``init`` while a patch is on)."""
    with _lock:
        if _patch is None or id(run) in _syncs:
            return
        sync = _syncs[id(run)] = _Sync(run, _patch)
    sync.thread.start()


def finish_run(run: Any) -> None:
    """Flush the open writers, read the event files a last time, store them with ``save``; called
    by ``finish()`` before the run stops taking rows."""
    with _lock:
        sync = _syncs.pop(id(run), None)
    if sync is None:
        return
    sync.stop.set()
    sync.thread.join(30)
    for writer in list(sync.patch.writers):
        try:
            _flush(writer)
        except Exception:  # noqa: BLE001 - a closed writer has nothing left to flush
            pass
    sync.poll()
    sync.report_not_mapped()
    if sync.patch.save:
        sync.save_files()


def _flush(writer: Any) -> None:
    """Write a writer's events to its file. tensorboardX hands each event through a queue to a
    thread of its own, and its ``flush()`` writes only what that thread has taken: the queue is
    waited on first (at most ``DRAIN`` seconds). PyTorch's writer flushes its queue itself."""
    queue = getattr(getattr(writer, "event_writer", None), "_event_queue", None)
    if queue is not None:
        deadline = time.monotonic() + DRAIN
        while not queue.empty() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # the event taken last may still be on its way to the file
    writer.flush()


class _Sync:
    def __init__(self, run: Any, patch: _Patch) -> None:
        self.run, self.patch = run, patch
        self.plugins = patch.plugins
        self.report = ImportReport()
        self.keys: set[str] = set()
        self.stop = threading.Event()
        self.failed = False
        self.said = Reporter()
        self.thread = threading.Thread(target=self._loop, name="runyard-tensorboard", daemon=True)
        self._read = threading.Lock()

    def _loop(self) -> None:
        while not self.stop.wait(POLL):
            try:
                self.poll()
            except Exception as exc:  # noqa: BLE001 - the sync must not die quietly, nor stop training
                self.said.once(type(exc).__name__, f"sync_tensorboard: reading the event files failed "
                               f"({type(exc).__name__}: {exc}); trying again each second, the run goes on")

    def logdirs(self) -> list[Path]:
        with _lock:
            dirs = list(self.patch.logdirs)
        root = self.patch.root
        if root is not None and root.is_dir():
            dirs += [d for d in find_runs(root) if d not in dirs]
        return dirs

    def namespace(self, logdir: Path, dirs: list[Path]) -> str:
        """The prefix of ``logdir``'s keys: its path relative to the root, or (no root) to the
        common parent of the log directories known when values are first read from it ("" when
        it is the only one). Once chosen it stays, so a key never changes its name."""
        ns = self.patch.namespaces.get(logdir)
        if ns is not None:
            return ns
        base = self.patch.root
        if base is None and len(dirs) < 2:
            ns = ""
        else:
            base = base or Path(os.path.commonpath([str(d) for d in dirs]))
            try:
                rel = logdir.relative_to(base).as_posix()
            except ValueError:
                rel = logdir.name
            ns = "" if rel == "." else rel + "/"
        self.patch.namespaces[logdir] = ns
        return ns

    def poll(self) -> None:
        """Log what was added to the event files since the last read."""
        if self.failed:
            return
        with self._read:
            try:
                dirs = self.logdirs()
                for logdir in dirs:
                    for path in sorted(logdir.glob(EVENT_GLOB)):
                        if path not in self.patch.damaged:
                            self._read_file(path, logdir, dirs)
            except ImportError as exc:  # no protobuf classes of TensorBoard's: say so once, go on training
                self.failed = True
                say(f"sync_tensorboard: {exc}")

    def _read_file(self, path: Path, logdir: Path, dirs: list[Path]) -> None:
        pos = self.patch.offsets.get(path, 0)
        try:
            with open(path, "rb") as f:
                f.seek(pos)
                data = f.read()
        except OSError:
            return
        event_cls, hparams_cls = protos()
        rows: dict[int, dict[str, Any]] = {}
        at = 0
        while True:
            try:
                n = record_length(data, at)
            except RecordError:
                self.patch.damaged.add(path)
                say(f"sync_tensorboard: {path}: the record at byte {pos + at} is damaged (its length checksum "
                    "does not hold); the file is not read further, the run goes on")
                break
            if n is None:  # the end, or a record still being written: the next read takes it
                break
            payload = data[at + 12 : at + 12 + n]
            at += 12 + n + 4
            try:
                ev = event_cls.FromString(payload)
            except Exception:  # noqa: BLE001 - a damaged record is skipped, the others still count
                self.report.not_mapped("tensorboard records that failed to decode")
                continue
            if not ev.HasField("summary"):
                continue
            row = rows.setdefault(int(ev.step), {})
            for v in ev.summary.value:
                try:
                    value = decode_value(self.plugins, v, self.report, hparams_cls)
                except Exception as e:  # noqa: BLE001 - one damaged value must not stop the sync
                    self.report.not_mapped(f"tensorboard values that failed to decode ({type(e).__name__})")
                    continue
                if value is not None:
                    row[v.tag] = value
        self.patch.offsets[path] = pos + at
        if self.plugins.config:
            self.run.config.update(self.plugins.config, allow_val_change=True)
            self.plugins.config.clear()
        ns = self.namespace(logdir, dirs) if any(rows.values()) else ""
        for step in sorted(rows):
            row = {ns + tag: value for tag, value in rows[step].items()}
            if not row:
                continue
            try:
                for key in row.keys() - self.keys:
                    self.run.define_metric(key, step_metric="global_step")
                    self.keys.add(key)
                self.run.log({**row, "global_step": step})
            except (ValueError, TypeError) as e:  # a value the run refuses: that row is named, the others go on
                self.report.not_mapped(f"rows the run refused ({type(e).__name__}: {e})")

    def report_not_mapped(self) -> None:
        left = self.report.unmapped
        if left:
            say("sync_tensorboard: not mapped: " + ", ".join(f"{n} {what}" for what, n in sorted(left.items())))

    def save_files(self) -> None:
        """Each event file into the run's ``files/tensorboard/``, under its path relative to the
        root (or to the log directories' common parent)."""
        dirs = self.logdirs()
        if not dirs:
            return
        base = self.patch.root or Path(os.path.commonpath([str(d.parent) for d in dirs]))
        dest = Path(self.run.dir) / "files" / "tensorboard"
        for logdir in dirs:
            for path in sorted(logdir.glob(EVENT_GLOB)):
                try:
                    rel = path.relative_to(base)
                except ValueError:
                    rel = Path(logdir.name) / path.name
                try:
                    copy_atomic(path, dest / rel)
                except OSError as e:
                    say(f"sync_tensorboard: cannot store {path} — {e.strerror or e}; the run goes on")
