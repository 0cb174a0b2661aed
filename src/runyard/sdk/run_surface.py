"""The parts of wandb's ``Run`` that scripts and integrations call beyond logging: ``url``,
``watch``, ``mark_preempting``, ``status``, ``display``, ``_label``, ... (``docs/wandb-compat.md``).
A mixin of ``Run`` and ``DisabledRun``, so the run class itself stays about logging."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class RunStatus:
    """What ``run.status()`` returns: runyard writes locally, so nothing is ever waiting to sync."""

    sync_items_total: int = 0
    sync_items_pending: int = 0
    sync_time: float | None = None


class RunSurface:
    """wandb's ``Run`` methods that do not log data themselves."""

    id: str
    project: str
    entity: str
    settings: dict[str, Any]
    _sweep_id: str | None = None  # set by init() for a run a sweep agent started

    # -- addresses ---------------------------------------------------------------------------

    def _ui_base(self) -> str | None:
        base = (getattr(self, "settings", None) or {}).get("base_url") or os.environ.get("RUNYARD_UI_URL")
        return str(base).rstrip("/") if base else None

    def get_url(self) -> str | None:
        """The run's page in a runyard UI: on the team server an online run streams to, else where
        ``base_url`` or ``$RUNYARD_UI_URL`` says a UI is; None otherwise (a local run has no
        address until a UI serves it)."""
        sender = getattr(self, "_sender", None)
        if sender is not None and sender.owner:
            return str(sender.run_url())
        base = self._ui_base()
        return f"{base}/p/{self.project}/r/{self.id}" if base and not getattr(self, "disabled", False) else None

    @property
    def url(self) -> str | None:
        return self.get_url()

    def get_project_url(self) -> str | None:
        sender = getattr(self, "_sender", None)
        if sender is not None and sender.owner:
            return str(sender.project_url())
        base = self._ui_base()
        return f"{base}/p/{self.project}" if base else None

    @property
    def project_url(self) -> str | None:
        return self.get_project_url()

    def get_sweep_url(self) -> None:
        return None  # no UI page of its own: a sweep's runs are its project's runs with its sweep_id

    @property
    def sweep_id(self) -> str | None:
        """The sweep whose agent started this run (docs/sweeps.md), else None."""
        return self._sweep_id

    def project_name(self) -> str:
        return self.project

    # -- lifecycle extras --------------------------------------------------------------------

    def mark_preempting(self) -> None:
        """Record that the job is about to be preempted (kept in the run's metadata)."""
        put = getattr(self, "_put_record", None)
        if put is not None:
            from ..log.records import Kind

            put([Kind.METADATA, {"preempting": True, "preempting_at": time.time()}])

    def status(self) -> RunStatus:
        return RunStatus(sync_time=time.time())

    def display(self, height: int = 420, hidden: bool = False) -> bool:
        """In a notebook, show the run page in an iframe when a UI address is known."""
        url = self.get_url()
        if url is None or hidden:
            return False
        try:
            from IPython.display import IFrame, display
        except ImportError:
            return False
        display(IFrame(url, width="100%", height=height))
        return True

    def _repr_html_(self) -> str:
        url = self.get_url()
        name = getattr(self, "name", self.id)
        return f'<a href="{url}">{name}</a>' if url else f"<code>runyard run {self.project}/{self.id} ({name})</code>"

    def _label(self, **kwargs: Any) -> None:
        """wandb integrations tag the run with their name (telemetry); nothing to do here."""

    def _get_path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    # -- models --------------------------------------------------------------------------------

    def watch(self, models: Any, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
              idx: int | None = None, log_graph: bool = False) -> None:
        """``runyard.watch`` for this run."""
        from .watch import watch

        watch(models, criterion, log, log_freq, idx, log_graph, run=self)

    def unwatch(self, models: Any = None) -> None:
        from .watch import unwatch

        unwatch(models)
