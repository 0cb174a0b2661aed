"""``init`` / ``log`` / ``finish`` and the process-wide glue: the current run (a plain module
global, so threads the user starts see it), interpreter exit, uncaught exceptions and fork."""

from __future__ import annotations

import atexit
import os
import re
import sys
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import settings as settings_mod
from ..errors import RunyardWarning, UsageError
from ..log.framing import MAX_FRAME
from ..log.reader import LOG_NAME, RunFolder, process_start_ticks
from ..log.records import Kind
from ..log.runlog import RunLockedError, RunLog
from ..log.state import RUNNING, RunState
from .config import Config, config_dict
from .console import ConsoleCapture
from .disabled import DisabledRun
from .metadata import basic_metadata
from .names import new_run_id, new_run_name
from .report import Reporter, say
from .run import Run
from .writer import Writer

_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
_IGNORED_INIT_ARGS = (
    "anonymous", "monitor_gym", "magic", "force", "fork_from", "resume_from",
    "tensorboard",  # wandb's older name for sync_tensorboard, which init() reads from here
)
# ... of which these ask for something runyard does not do: said in one line, not silently dropped
_UNSUPPORTED_INIT_ARGS = {
    "fork_from": "runyard does not fork runs; this run starts with an empty history",
    "resume_from": "runyard does not rewind runs; this run starts with an empty history",
    "monitor_gym": "runyard records no gym videos; log them with runyard.Video",
}

_current: Run | DisabledRun | None = None
_live: list[Run | DisabledRun] = []
_hooks_installed = False
_finished: list[str] = []  # the path of the run finished last, for log() after finish()


def _set_current(run: Run | DisabledRun | None) -> None:
    global _current
    _current = run
    # runyard itself, and the wandb alias when it is on (docs/wandb-compat.md)
    for module in (sys.modules.get("runyard"), sys.modules.get("runyard.compat.wandb")):
        if module is None:
            continue
        from .preinit import PreInit

        module.run = run  # type: ignore[attr-defined]
        module.log = log  # type: ignore[attr-defined]  # skip the entry-point wrapper from now on
        module.config = run.config if run is not None else PreInit("config")  # type: ignore[attr-defined]
        module.summary = run.summary if run is not None else PreInit("summary")  # type: ignore[attr-defined]


def current() -> Run | DisabledRun | None:
    """The current run (``runyard.run``), for the integrations that attach to it."""
    return _current


def forget(run: Run | DisabledRun) -> None:
    """Called by ``finish()``: the run is no longer live (nor current)."""
    if run in _live:
        _live.remove(run)
        _finished[:] = [getattr(run, "path", "?")]
    if _current is run:
        _set_current(_live[-1] if _live else None)


def init(
    project: str | None = None,
    name: str | None = None,
    id: str | None = None,
    config: Any = None,
    dir: str | os.PathLike[str] | None = None,
    mode: str | None = None,
    resume: bool | str | None = None,
    tags: Any = None,
    group: str | None = None,
    job_type: str | None = None,
    notes: str | None = None,
    reinit: bool | str | None = None,
    entity: str | None = None,
    settings: Any = None,
    config_exclude_keys: list[str] | None = None,
    config_include_keys: list[str] | None = None,
    save_code: bool | None = None,
    sync_tensorboard: bool | None = None,
    allow_val_change: bool | None = None,
    **ignored: Any,
) -> Any:
    """Start a run and make it the current one (docs/semantics.md, "Runs"). Returns the ``Run``.

    Runs are written to ``<dir>/<project>/<run id>/`` (``dir`` defaults to ``$RUNYARD_DIR`` or
    ``./runyard``). ``resume``: ``"allow"`` continues run ``id`` if it exists, ``"must"`` requires
    it, ``"never"`` forbids it, ``True``/``"auto"`` continues ``id`` or else the project's latest
    crashed run.
    """
    unknown = [k for k in ignored if k not in _IGNORED_INIT_ARGS]
    if unknown:
        raise TypeError(f"init() got unexpected keyword argument(s) {unknown}")
    for k, why in _UNSUPPORTED_INIT_ARGS.items():
        if ignored.get(k):
            say(f"init({k}={ignored[k]!r}): {why}")
    overrides = dict(settings) if isinstance(settings, dict) else dict(vars(settings)) if settings else {}
    if dir is not None:
        overrides["dir"] = os.fspath(dir)
    if mode is not None:
        overrides["mode"] = mode
    if save_code is not None:
        overrides["save_code"] = bool(save_code)
    resolved = settings_mod.resolve(overrides)
    settings_mod.activate(overrides)
    mode_name = {"dryrun": "offline", "run": "offline"}.get(resolved["mode"], resolved["mode"])
    if mode_name not in ("offline", "online", "disabled"):
        raise ValueError(f"init(): mode must be 'offline', 'online' or 'disabled', got {resolved['mode']!r}")
    resolved["mode"] = mode_name
    from .sweep_job import take_job

    job = take_job()  # a sweep agent's parameter set for this run (docs/sweeps.md)
    project = (job.project if job is not None and job.project else None) or project or resolved["project"]
    _check_name("project", project)

    previous = _current
    if previous is not None and reinit is False:
        return previous
    if previous is not None and reinit != "create_new":
        previous.finish()

    cfg = Config({}, None)
    cfg.update(_filter_config(config_dict(config, "init(config=...)"), config_include_keys, config_exclude_keys))
    if job is not None:  # the sweep's values win over the script's defaults
        cfg.update(job.params, allow_val_change=True)
    if mode_name == "disabled":
        run: Run | DisabledRun = DisabledRun(project, name or "disabled", cfg.as_dict(), forget)
    else:
        run = _start(resolved, project, name, id, cfg.as_dict(), resume, tags, group, job_type, notes, entity,
                     job.sweep_id if job is not None else None)
    if allow_val_change:
        run.config.allow_changes()
    if job is not None:
        run.config.lock(job.params, f"sweep {job.sweep_id}")
        run._sweep_id = job.sweep_id
    _live.append(run)
    _set_current(run)
    _install_hooks()
    if isinstance(run, Run):
        if sync_tensorboard or ignored.get("tensorboard"):  # "tensorboard": wandb's older name for it
            from ..integrations import tensorboard as tb

            tb.patch()  # hooks the writers and syncs into the current run
        elif "runyard.integrations.tensorboard" in sys.modules:  # patched before init
            sys.modules["runyard.integrations.tensorboard"].start(run)
    return run


def _check_name(what: str, value: Any) -> None:
    if not isinstance(value, str) or not _NAME_RE.match(value) or value.startswith("."):
        raise ValueError(
            f"init(): {what} must be 1–128 letters, digits, '_', '-' or '.', not starting with '.'; "
            f"got {value!r}"
        )


def _filter_config(d: dict[str, Any], include: list[str] | None, exclude: list[str] | None) -> dict[str, Any]:
    if include:
        d = {k: v for k, v in d.items() if k in include}
    if exclude:
        d = {k: v for k, v in d.items() if k not in exclude}
    return d


def _start(
    resolved: dict[str, Any], project: str, name: str | None, run_id: str | None, config: dict[str, Any],
    resume: bool | str | None, tags: Any, group: str | None, job_type: str | None, notes: str | None,
    entity: str | None, sweep_id: str | None = None,
) -> Run:
    root = Path(resolved["dir"]).expanduser()
    project_dir = root / project
    try:
        project_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(
            f"init(): cannot create the run folder {project_dir} — {e.strerror or e}. Set dir= or "
            "RUNYARD_DIR to a writable folder."
        ) from None
    if run_id is not None:
        _check_name("id", run_id)
    if resume not in (None, False, True, "allow", "must", "never", "auto"):
        raise ValueError(f"init(): resume must be True, False, 'allow', 'must', 'never' or 'auto', got {resume!r}")
    if run_id is None and resume in (True, "auto"):
        run_id = _latest_crashed(project_dir)
    if run_id is None and resume == "must":
        raise UsageError("init(resume='must') needs the id= of the run to continue")
    exists = run_id is not None and (project_dir / run_id / LOG_NAME).exists()
    if exists and (resume in (None, False, "never")):
        raise UsageError(
            f"init(): run {run_id!r} already exists in project {project!r} ({project_dir / str(run_id)}); "
            "pass resume='allow' to continue it, or choose another id"
        )
    if not exists and resume == "must":
        raise UsageError(f"init(resume='must'): no run {run_id!r} in project {project!r} under {project_dir}")
    reporter = Reporter()
    meta = basic_metadata()  # git, packages and hardware follow from the capture thread (sdk/capture.py)
    if sweep_id is not None:
        meta["sweep_id"] = sweep_id
    pid = os.getpid()
    session = {"pid": pid, "host": meta["host"], "pid_start": process_start_ticks(pid)}
    max_record = int(resolved["max_record_bytes"])
    if not 0 < max_record <= MAX_FRAME:
        raise ValueError(f"init(): max_record_bytes must be between 1 and {MAX_FRAME} (what readers accept), "
                         f"got {max_record}")
    try:
        if exists:
            assert run_id is not None
            wait = float(resolved["lock_wait"]) if resume in ("allow", True, "auto", "must") else 0.0
            folder, log, state = _open_resumed(project_dir / run_id, session, config, meta, wait, max_record)
        else:
            folder, log, state = _open_new(
                project_dir, run_id, project, entity or "local", name, config, tags, group, job_type,
                notes, meta, session, max_record,
            )
    except RunLockedError as e:
        raise UsageError(f"init(): {e}") from None
    except OSError as e:
        raise UsageError(
            f"init(): cannot write the run log under {project_dir} — {e.strerror or e}. Free some "
            "space or set dir= / RUNYARD_DIR to a writable folder."
        ) from None

    def warn_data(kind: str, message: str) -> None:
        reporter.once(f"data-{message}", f"warning: {message}")

    writer = Writer(folder, log, state, resolved, reporter, warn_data)
    run = Run(writer, resolved, reporter, resumed=exists, root=str(root), on_finish=forget)
    writer.start()
    run._extras.start()
    if resolved["mode"] == "online":  # stream the log to a team server (sdk/online.py)
        from .online import start_sender

        run._sender = start_sender(folder, lambda: writer.log.durable_end, resolved, project, state.id,
                                   entity, say)
        if run._sender is not None:
            writer.on_durable = run._sender.wake  # the sender sends as soon as a batch is durable
            if run._sender.owner:  # the run's entity on the server (the user's own unless one was chosen)
                run.entity = run._sender.owner
    if resolved["console"] == "wrap":
        run._console = ConsoleCapture(run._emit_output)
        run._console.start()
    return run


def _open_new(
    project_dir: Path, run_id: str | None, project: str, entity: str, name: str | None,
    config: dict[str, Any], tags: Any, group: str | None, job_type: str | None, notes: str | None,
    meta: dict[str, Any], session: dict[str, Any], max_record: int,
) -> tuple[Path, RunLog, RunState]:
    while True:
        rid = run_id or new_run_id()
        folder = project_dir / rid
        try:
            folder.mkdir()
            break
        except FileExistsError:
            if run_id is not None:  # a folder without a log: reuse it
                break
    number = sum(1 for p in project_dir.iterdir() if (p / LOG_NAME).exists()) + 1
    start = {
        "id": rid, "project": project, "entity": entity, "name": name or new_run_name(number),
        "config": config, "tags": [str(t) for t in (tags or [])], "group": group,
        "job_type": job_type, "notes": notes, "metadata": meta, "created_at": time.time(), **session,
    }
    record = [Kind.START, start]
    try:
        log = RunLog.create(folder / LOG_NAME, record, max_record)
    except FileExistsError:
        raise UsageError(
            f"init(): run {rid!r} was created by another process at the same moment ({folder}); pass "
            "resume='allow' to continue it, or choose another id"
        ) from None
    state = RunState()
    state.apply(record)
    return folder, log, state


def _open_resumed(
    folder: Path, session: dict[str, Any], config: dict[str, Any], meta: dict[str, Any], lock_wait: float,
    max_record: int,
) -> tuple[Path, RunLog, RunState]:
    rf = RunFolder(folder)
    log = RunLog.open(rf.log_path, lock_wait, max_record)  # locked: no other process writes it now
    try:
        with warnings.catch_warnings():  # damage is reported below, once, as it is repaired
            warnings.simplefilter("ignore", RunyardWarning)
            state, _ = rf.load_state()
        if state.state == RUNNING and state.host != session.get("host"):
            raise UsageError(
                f"init(): run {state.id!r} is still running (pid {state.pid} on {state.host}); finish it "
                "before resuming it"
            )
        if log.recovery:
            say(log.recovery.message(f"resuming run {state.id}"))
        records: list[list[Any]] = [[Kind.RESUME, time.time(), session], [Kind.METADATA, meta]]
        if config:
            records.append([Kind.CONFIG, config])
        log.append(records)
        log.sync()
    except BaseException:
        log.close()
        raise
    for r in records:
        state.apply(r)
    return folder, log, state


def _latest_crashed(project_dir: Path) -> str | None:
    best: tuple[float, str] | None = None
    for folder in project_dir.iterdir():
        rf = RunFolder(folder)
        if not rf.exists():
            continue
        try:
            state, _ = rf.load_state()
        except (OSError, ValueError):
            continue
        if state.state in ("crashed", "failed") and (best is None or state.created_at > best[0]):
            best = (state.created_at, state.id)
    return best[1] if best else None


# -- module-level shortcuts --------------------------------------------------------------------


def log(data: dict[str, Any] | None = None, step: int | None = None, commit: bool | None = None) -> None:
    """Log ``data`` to the current run (docs/semantics.md, "Steps and commits"); ``log()`` alone
    commits the current step. Raises if ``init()`` was not called."""
    run = _current
    if run is None:
        if _finished:
            raise UsageError(
                f"runyard.log() was called after run {_finished[-1]} finished (nothing was logged); call "
                "runyard.init() to start a new run"
            )
        raise UsageError("runyard.log() was called before runyard.init(); call runyard.init() first")
    run.log(data, step, commit)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the current run (docs/semantics.md, "Finishing and run states"); a no-op when there is none."""
    if _current is not None:
        _current.finish(exit_code, quiet)


def define_metric(name: str, **kwargs: Any) -> Any:
    """``define_metric`` on the current run (docs/semantics.md, "define_metric")."""
    if _current is None:
        raise UsageError("runyard.define_metric() was called before runyard.init(); call runyard.init() first")
    return _current.define_metric(name, **kwargs)


def save(glob_str: Any = None, base_path: Any = None, policy: str = "live") -> list[str]:
    """``run.save`` on the current run (files under its ``files/``)."""
    if _current is None:
        raise UsageError("runyard.save() was called before runyard.init(); call runyard.init() first")
    return _current.save(glob_str, base_path, policy)


def restore(name: str, run_path: str | None = None, replace: bool = False, root: Any = None) -> Any:
    """``files/<name>`` of the current run or of ``run_path`` ('project/run_id'), copied into ``root``
    (default: the current run's ``files/``, else the working folder) and opened for reading."""
    from .extras import run_folder
    from .files import restore as restore_file

    if isinstance(_current, Run):
        return _current.restore(name, run_path, replace, root)
    if run_path is None:
        raise UsageError("runyard.restore() without a run needs run_path='project/run_id'")
    runs_root = Path(settings_mod.resolve()["dir"]).expanduser()
    return restore_file(name, run_folder(run_path, runs_root, None), Path(root or "."), replace)


def alert(title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
    """``run.alert`` on the current run."""
    if _current is None:
        raise UsageError("runyard.alert() was called before runyard.init(); call runyard.init() first")
    _current.alert(title, text, level, wait_duration)


def unset() -> None:
    """Finish every live run of this process (used by tests and notebooks)."""
    for run in list(_live):
        run.finish()
    _finished.clear()


# -- exit, uncaught exceptions, fork -----------------------------------------------------------


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_at_exit)
    previous_hook = sys.excepthook

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        for run in list(_live):
            if isinstance(run, Run):
                run._mark_failed(exc)
        previous_hook(exc_type, exc, tb)

    sys.excepthook = excepthook
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)


def _at_exit() -> None:
    for run in list(_live):
        try:
            run.finish()
        except Exception as e:  # at exit there is no one left to raise to
            say(f"could not finish run {getattr(run, 'path', '?')} at exit — {e}")


def _after_fork_in_child() -> None:
    # The child shares the parent's log file but not its writer thread: it must never write.
    for run in _live:
        if isinstance(run, Run):
            run._after_fork_in_child()
