"""``Api().run(...)``: a stored run with config, summary (editable: docs/read-api.md), history and files."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from ..errors import UsageError
from ..jsonvalue import check_loggable, decode, dumps
from ..log.append import append_records
from ..log.reader import LOG_NAME, RunFolder, history_rows
from ..log.records import Kind
from ..log.state import RUNNING, RunState
from ..sdk.live_summary import summary_value
from ..sdk.values import materialize
from ..types.base import MediaStore
from .user import run_user


def sample_rows(rows: Iterator[dict[str, Any]], samples: int, pandas: bool) -> Any:
    """At most ``samples`` rows, evenly spaced, always with the first and the last: the same rows
    come back for the same history (docs/read-api.md). A DataFrame when ``pandas``."""
    if samples < 1:
        raise ValueError(f"history(): samples must be positive, got {samples}")
    kept = list(rows)
    n = len(kept)
    if n > samples:
        if samples == 1:
            kept = [kept[-1]]
        else:
            kept = [kept[round(i * (n - 1) / (samples - 1))] for i in range(samples)]
    if not pandas:
        return kept
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "history(pandas=True) needs pandas: pip install 'runyard[pandas]', or call "
            "history(pandas=False) for a list of dicts"
        ) from None
    return pd.DataFrame.from_records(kept)


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _views(value: Any, run_dir: Path) -> Any:
    try:
        from ..types.views import convert_refs
    except ImportError:  # the media views are not available: hand back the raw references
        return value
    return convert_refs(value, run_dir)


class RunReads:
    """What a local run (``ApiRun``) and one read over HTTP (``api/http.py``) share: ``history``
    and ``to_parquet`` over the run's ``scan_history``, wandb's derived attributes, and waiting for
    the run to end (over ``_reload``, which reads the run's state anew)."""

    id: str
    config: dict[str, Any]
    summary: ApiSummary

    def scan_history(self, keys: list[str] | None = None, page_size: int = 1000, min_step: int = 0,
                     max_step: int | None = None) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    @property
    def state(self) -> str:
        raise NotImplementedError

    def _reload(self) -> None:
        raise NotImplementedError

    @property
    def summary_metrics(self) -> dict[str, Any]:
        """The summary as a plain dict (wandb's name)."""
        return dict(self.summary)

    @property
    def json_config(self) -> str:
        """The config as wandb's JSON text: ``{"key": {"value": ..., "desc": null}}``."""
        return dumps({k: {"value": v, "desc": None} for k, v in self.config.items()})

    def wait_until_finished(self, timeout: float | None = None, poll: float = 1.0) -> str:
        """Wait while the run is running, reading its state anew every ``poll`` seconds; return
        the state it ended in (finished, failed or crashed). ``TimeoutError`` after ``timeout``
        seconds (None: no limit, as wandb's)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.state == RUNNING:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"run {self.id} is still running after {timeout:g} s")
            time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))
            self._reload()
        return self.state

    def history(self, samples: int = 500, keys: list[str] | None = None, x_axis: str = "_step",
                pandas: bool = True, stream: str = "default") -> Any:
        """At most ``samples`` rows, evenly spaced over the history and always including the first
        and last: the same call returns the same rows (docs/read-api.md)."""
        wanted = None if keys is None else [x_axis, *[k for k in keys if k != x_axis]]
        return sample_rows(self.scan_history(keys=wanted), samples, pandas)

    def to_parquet(self, path: str | os.PathLike[str]) -> Path:
        """Write every history row, unsampled, to a Parquet file (docs/import-export.md); returns its path."""
        from ..importers.export import write_history

        return write_history(self, Path(path), "parquet")


class _SavesSummary(Protocol):
    def _save_summary(self, summary: ApiSummary) -> None: ...


class ApiSummary(dict[str, Any]):
    """The run's summary as a dict; ``update()`` persists edits made to it (docs/read-api.md, "Summary edits")."""

    def __init__(self, run: _SavesSummary, values: dict[str, Any]) -> None:
        super().__init__(values)
        self._run = run
        self._saved = dict(values)

    def update(self, d: Any = None, /, **kwargs: Any) -> None:
        """Merge ``d``/``kwargs`` and save every change made since the last save."""
        if d is not None or kwargs:
            super().update(dict(d or {}), **kwargs)
        self._run._save_summary(self)


class ApiRun(RunReads):
    """A run read from its folder. Attributes mirror wandb's public API ``Run``."""

    def __init__(self, folder: Path, entity: str = "local") -> None:
        self._folder = RunFolder(folder)
        self._state, _ = self._folder.load_state()
        s = self._state
        self.id: str = s.id
        self.project: str = s.project
        self.entity: str = s.entity or entity
        self.dir = str(folder)
        self.config: dict[str, Any] = dict(s.config)
        self.name: str = s.name
        self.tags: list[str] = list(s.tags)
        self.notes: str | None = s.notes
        self.group: str | None = s.group
        self.job_type: str | None = s.job_type
        self.user = run_user(s.user)
        self.summary = ApiSummary(self, _views(s.summary.current(), folder))
        self.url = None

    def _reload(self) -> None:
        self._state, _ = self._folder.load_state()
        self.summary = ApiSummary(self, _views(self._state.summary.current(), self._folder.path))

    @property
    def path(self) -> list[str]:
        return [self.entity, self.project, self.id]

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def state(self) -> str:
        return self._state.state

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self._state.metadata)

    @property
    def created_at(self) -> str:
        return iso(self._state.created_at)

    @property
    def runtime(self) -> float:
        return self._state.runtime

    @property
    def lastHistoryStep(self) -> int:  # noqa: N802 - wandb's name
        return self._state.last_step

    @property
    def history_rows(self) -> int:
        return self._state.rows

    @property
    def exit_code(self) -> int | None:
        return self._state.exit_code

    @property
    def error(self) -> str | None:
        return self._state.error

    @property
    def key_kinds(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self._state.key_kinds.items()}

    def document(self) -> dict[str, Any]:
        """The document filters and orders are evaluated on."""
        return {
            "id": self.id, "run_id": self.id, "name": self.id, "display_name": self.name,
            "state": self.state, "tags": self.tags, "group": self.group, "job_type": self.job_type,
            "user": str(self.user) if self.user else None,
            "created_at": self._state.created_at, "updated_at": max(self._state.heartbeat_at,
                                                                    self._state.ended_at or 0.0),
            "config": self.config, "summary_metrics": dict(self.summary), "runtime": self.runtime,
            "last_step": self._state.last_step, "rows": self._state.rows,
        }

    def __repr__(self) -> str:
        return f"<ApiRun {'/'.join(self.path)} ({self.state})>"

    # -- history -----------------------------------------------------------------------------

    def scan_history(self, keys: list[str] | None = None, page_size: int = 1000, min_step: int = 0,
                     max_step: int | None = None) -> Iterator[dict[str, Any]]:
        """Every committed row, unsampled, streamed from the log. With ``keys``, only rows holding
        all of them, reduced to those keys and ``_step``."""
        if page_size < 1:
            raise ValueError(f"scan_history(): page_size must be positive, got {page_size}")
        run_dir = self._folder.path
        for _, row in history_rows(self._folder.log_path, 0, min_step, max_step, keys):
            if keys is not None:
                row = {k: row[k] for k in ("_step", *keys)}
            yield _views(row, run_dir)

    def series(self, key: str, x_axis: str = "_step", samples: int = 1000,
               x_range: tuple[float, float] | None = None) -> dict[str, Any]:
        """What a chart draws (docs/http-api.md, "Series"): per bucket ``x``, ``min``, ``max``, ``mean``, ``first``,
        ``last``, ``count``, at most ``samples`` buckets, spikes kept, deterministic; a narrow
        ``x_range`` answers at full resolution. Uses (and refreshes) the folder's index, so it
        answers exactly as ``runyard ui`` does; needs the ``server`` extra."""
        try:
            from ..store import Ingestor, Store
            from ..store.db import default_store_url
            from ..store.queries import series_query
        except ImportError as exc:
            raise ImportError(
                f"Run.series() reads the index, which needs the 'server' extra: pip install 'runyard[server]' ({exc})"
            ) from None
        root = self._folder.path.parent.parent
        store = Store(default_store_url(root))
        try:
            Ingestor(root, store).ingest_run(self._folder.path)
            with store.read() as conn:
                doc = series_query(conn, self.project, [self.id], key, x_axis, x_range, samples)[0]
        finally:
            store.close()
        return dict(decode(doc))

    def output(self) -> str:
        """The captured console output (stdout and stderr, in order)."""
        return "".join(text for _, _, text in self._folder.output())

    # -- artifacts ---------------------------------------------------------------------------

    def logged_artifacts(self) -> list[Any]:
        """The artifact versions this run logged, in the order it logged them (docs/artifacts.md)."""
        return self._artifacts()["logged"]

    def used_artifacts(self) -> list[Any]:
        """The artifact versions this run used (``use_artifact``), in the order it first used them."""
        return self._artifacts()["used"]

    def delete(self, delete_artifacts: bool = False) -> None:
        """Delete this run for good: its folder, with its log, media and files; an index drops it
        at its next pass (docs/read-api.md, "Deleting a run"). A run still running, or one that
        logged artifact versions, is refused with ``RunNotRemovable`` (wandb's
        ``delete_artifacts`` is accepted; runyard deletes no artifacts with a run)."""
        from ..store.removal import remove_folder

        remove_folder(f"{self.project}/{self.id}", self._folder.path / LOG_NAME,
                      [a.name for a in self.logged_artifacts()])

    def _artifacts(self) -> dict[str, list[Any]]:
        from ..artifacts.api import run_versions

        events = [r[1] for _, r in self._folder.records() if r[0] == Kind.ARTIFACT and len(r) > 1
                  and isinstance(r[1], dict)]
        return run_versions(self._folder.path.parent.parent, events)

    # -- files -------------------------------------------------------------------------------

    def files(self) -> list[RunFile]:
        root = self._folder.path
        return [RunFile(p, root) for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(".tmp")]

    def file(self, name: str) -> RunFile:
        root = self._folder.path.resolve()
        path = (root / name).resolve()
        if root not in path.parents or not path.is_file():
            raise FileNotFoundError(f"run {self.id} has no file {name!r}")
        return RunFile(path, root)

    # -- edits -------------------------------------------------------------------------------

    def _append(self, records: list[list[Any]]) -> None:
        fresh, _ = self._folder.load_state()
        if fresh.state == RUNNING:
            raise UsageError(
                f"run {self.id} is still running (pid {fresh.pid} on {fresh.host}); edit its "
                "summary from the run itself (run.summary[...] = ...) or after it ends"
            )
        append_records(self._folder.path / LOG_NAME, records)
        for r in records:
            self._state.apply(r)

    def _save_summary(self, summary: ApiSummary) -> None:
        changed: dict[str, Any] = {}
        store = MediaStore(self._folder.path)
        for k, v in dict.items(summary):
            if k not in summary._saved or summary._saved[k] is not v:
                value, media = summary_value(k, v)
                changed[k] = materialize(value, store) if media else value
        deleted = [k for k in summary._saved if k not in summary]
        try:
            check_loggable(changed, "summary")
        except ValueError as exc:
            raise UsageError(f"run {self.id}: the summary edit cannot be stored in its log, nothing was "
                             f"written: {exc}") from None
        if changed or deleted:
            store.sync()
            self._append([[Kind.SUMMARY, changed, deleted]])
            dict.update(summary, changed)
        summary._saved = dict(summary)

    def update(self) -> None:
        """Persist changes made to ``name``, ``tags``, ``notes``, ``config`` and ``summary``."""
        s: RunState = self._state
        records: list[list[Any]] = []
        fields = {k: getattr(self, k) for k in ("name", "tags", "notes") if getattr(self, k) != getattr(s, k)}
        if fields:
            records.append([Kind.UPDATE, fields])
        config = {k: v for k, v in self.config.items() if s.config.get(k, object()) != v}
        if config:
            records.append([Kind.CONFIG, config])
        if records:
            self._append(records)
        self.summary.update()


class RunFile:
    """A file of a run's folder."""

    def __init__(self, path: Path, run_dir: Path) -> None:
        self.path = path
        self.name = str(path.relative_to(run_dir))
        self.size = path.stat().st_size

    def download(self, root: str | os.PathLike[str] = ".", replace: bool = False) -> Path:
        target = Path(root) / self.name
        if target.exists() and not replace:
            raise FileExistsError(f"{target} exists; pass replace=True to overwrite it")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.path.read_bytes())
        return target

    def __repr__(self) -> str:
        return f"<RunFile {self.name} ({self.size} bytes)>"
