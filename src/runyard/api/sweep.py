"""``Api().sweep(...)``: a sweep read back from its runs folder (docs/sweeps.md, "Reading a
sweep"), with wandb's attributes: its configuration, its runs and the best of them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..log.reader import LOG_NAME
from ..log.state import RUNNING
from ..sdk.sweep import sweep_doc, sweep_folder, taken
from ..sdk.sweep_space import grid_size
from .run import ApiRun


class Sweep:
    """A sweep of a runs folder: ``id``, ``name``, ``config``, ``method``, ``project``, ``runs``
    (the runs its agents started, oldest first), ``state``, ``expected_run_count``, ``best_run()``."""

    def __init__(self, folder: Path, root: Path, entity: str) -> None:
        doc = sweep_doc(folder)
        self.id: str = doc["id"]
        self.config: dict[str, Any] = doc["config"]
        self.name: str = str(self.config.get("name") or self.id)
        self.method: str = self.config["method"]
        self.project: str = doc["project"]
        self.entity = doc.get("entity") or entity
        self.url = None  # the UI has no page for a sweep: its runs are its project's runs
        self._taken = taken(folder)
        project_dir = root / self.project
        runs = [ApiRun(sub, self.entity) for sub in sorted(project_dir.iterdir()) if (sub / LOG_NAME).is_file()] \
            if project_dir.is_dir() else []
        self.runs: list[ApiRun] = sorted((r for r in runs if r.metadata.get("sweep_id") == self.id),
                                         key=lambda r: r.created_at)

    @property
    def expected_run_count(self) -> int | None:
        """The grid's size or the ``run_cap``, whichever is less; None for a search with no end of
        its own."""
        cap = self.config.get("run_cap")
        ends = [int(cap)] if cap is not None else []
        if self.method == "grid":
            ends.append(grid_size(self.config))
        return min(ends) if ends else None

    @property
    def state(self) -> str:
        """``finished`` once every set it will have is taken and none of its runs is running, else
        ``running``."""
        expected = self.expected_run_count
        if expected is None or self._taken < expected or any(r.state == RUNNING for r in self.runs):
            return "running"
        return "finished"

    def best_run(self, order: str | None = None) -> ApiRun | None:
        """The run with the best value of the sweep's metric (or of ``order``: ``"-key"`` highest
        first, ``"+key"`` or ``"key"`` lowest first, a ``summary_metrics.`` prefix allowed); runs
        without a number there are left out. None when no run has one."""
        if order is None:
            metric = self.config.get("metric")
            if not metric:
                raise UsageError(f"sweep {self.id} names no metric: pass best_run(order='-summary_metrics.acc')")
            order = ("-" if metric.get("goal") == "maximize" else "+") + metric["name"]
        desc = order.startswith("-")
        key = order.lstrip("+-").removeprefix("summary_metrics.")
        scored = [(v, r) for r in self.runs if isinstance(v := r.summary.get(key), (int, float))
                  and not isinstance(v, bool) and not math.isnan(v)]
        if not scored:
            return None
        return (max if desc else min)(scored, key=lambda p: p[0])[1]

    def __repr__(self) -> str:
        return f"<Sweep {self.project}/{self.id} ({self.state})>"


def read_sweep(root: Path, path: str, entity: str) -> Sweep:
    """The sweep ``[entity/project/]sweep_id`` of the runs folder ``root``."""
    return Sweep(sweep_folder(path, root), root, entity)
