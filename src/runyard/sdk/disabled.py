"""``mode="disabled"``: a run whose calls all succeed and store nothing."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal

from ..log.summary import MetricDef
from .config import Config
from .run_surface import RunSurface


class DisabledRun(RunSurface):
    """wandb's ``RunDisabled``: every call succeeds and stores nothing."""

    def __init__(self, project: str, name: str, config: dict[str, Any],
                 on_finish: Callable[[DisabledRun], None] = lambda run: None) -> None:
        self._on_finish = on_finish  # the process-wide bookkeeping (lifecycle.forget)
        self.id = "disabled"
        self.project = project
        self.entity = "local"
        self.name = name
        self.path = f"local/{project}/disabled"
        self.mode = "disabled"
        self.dir = ""
        self.tags: tuple[str, ...] = ()
        self.notes: str | None = None
        self.resumed = False
        self.config = Config(dict(config), None)
        self.summary: dict[str, Any] = {}
        self.step = 0
        self.disabled = True
        self.offline = True
        self.settings: dict[str, Any] = {"mode": "disabled"}

    def log(self, data: dict[str, Any] | None = None, step: int | None = None, commit: bool | None = None,
            sync: bool | None = None) -> None:
        if data is not None and not isinstance(data, dict):
            raise TypeError(f"log() takes a dict of values; got {type(data).__name__}")

    def save(self, glob_str: Any = None, base_path: Any = None, policy: str = "live") -> list[str]:
        return []

    def restore(self, name: str, run_path: str | None = None, replace: bool = False, root: Any = None) -> None:
        return None

    def log_code(self, root: Any = ".", name: str | None = None, include_fn: Any = None,
                 exclude_fn: Any = None) -> dict[str, Any]:
        return {"files": [], "bytes": 0}

    def alert(self, title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
        return None

    def define_metric(self, name: str, **kwargs: Any) -> MetricDef:
        return MetricDef(name)

    def log_artifact(self, artifact_or_path: Any, *args: Any, **kwargs: Any) -> Any:
        return artifact_or_path  # nothing is stored (docs/artifacts.md)

    log_model = link_artifact = link_model = log_artifact

    def use_artifact(self, artifact_or_name: Any, *args: Any, **kwargs: Any) -> Any:
        from ..errors import UsageError

        raise UsageError("use_artifact() has nothing to read in mode='disabled'; use runyard.Api().artifact(...)")

    use_model = use_artifact

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        self._on_finish(self)

    def __enter__(self) -> DisabledRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        self.finish()
        return False
