"""Tables ingest keeps up to date beside what it derives from a log, so that the workspace's
page-level reads (a project's keys, its ``define_metric`` declarations) read a few rows instead of
grouping a million (docs/ui.md, "Scale").

``project_keys``: per project, each (key, kinds) pair of ``run_keys`` and how many runs hold it.
Whenever ingest rewrites a run's ``run_keys`` rows it adds the difference here (+1 for a pair the
run gained, -1 for one it lost) in one upsert, in (key, kinds) order: concurrent writers on
PostgreSQL lock the rows in the same order. A pair no run holds any more is deleted.

``run_metrics``: a run's declarations (name, step metric), rewritten when they change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from . import schema as s
from .db import driver_executemany

Pairs = dict[tuple[str, str], int]

_SQLITE_UPSERT = (
    'INSERT INTO project_keys (project_pk, "key", kinds, runs, first_run) VALUES (?, ?, ?, ?, ?) '
    'ON CONFLICT (project_pk, "key", kinds) DO UPDATE SET runs = runs + excluded.runs, '
    "first_run = min(first_run, excluded.first_run)"
)


def run_key_pairs(conn: sa.Connection, run_pk: int) -> set[tuple[str, str]]:
    """The (key, kinds text) rows ``run_keys`` holds for a run."""
    return {(r[0], r[1]) for r in conn.execute(
        sa.select(s.run_keys.c.key, s.run_keys.c.kinds).where(s.run_keys.c.run_pk == run_pk))}


class KeyCounts:
    """Changes of ``project_keys``' counts collected over many runs (a group of team batches in
    one transaction), applied together in (project, key, kinds) order: transactions that lock the
    same rows lock them in the same order (one run at a time would not, across runs)."""

    def __init__(self) -> None:
        self.delta: dict[tuple[int, str, str], list[int]] = {}  # -> [runs added, smallest run pk]

    def add(self, ppk: int, pairs: Pairs, run_pk: int) -> None:
        for (k, kinds), d in pairs.items():
            cur = self.delta.setdefault((ppk, k, kinds), [0, run_pk])
            cur[0] += d
            cur[1] = min(cur[1], run_pk)

    def apply(self, conn: sa.Connection) -> None:
        if not self.delta:
            return
        rows = [(p, k, kinds, d, first) for (p, k, kinds), (d, first) in sorted(self.delta.items()) if d]
        gone = {p for (p, _, _), (d, _) in self.delta.items() if d < 0}
        self.delta = {}
        _upsert(conn, rows)
        for ppk in sorted(gone):
            conn.execute(sa.delete(s.project_keys).where(s.project_keys.c.project_pk == ppk,
                                                         s.project_keys.c.runs <= 0))


def _upsert(conn: sa.Connection, rows: list[tuple[int, str, str, int, int]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        driver_executemany(conn, _SQLITE_UPSERT, rows)
        return
    from sqlalchemy.dialects.postgresql import insert

    ins = insert(s.project_keys)
    t = s.project_keys.c
    stmt = ins.on_conflict_do_update(
        index_elements=[t.project_pk, t.key, t.kinds],
        set_={"runs": t.runs + ins.excluded.runs, "first_run": sa.func.least(t.first_run, ins.excluded.first_run)})
    conn.execute(stmt, [dict(project_pk=p, key=k, kinds=kn, runs=d, first_run=r) for p, k, kn, d, r in rows])


def count_keys(conn: sa.Connection, run_pk: int, before: Iterable[tuple[str, str]],
               after: Iterable[tuple[str, str]], later: KeyCounts | None = None) -> None:
    """Adds a run's change of ``run_keys`` rows (``before`` -> ``after``) to ``project_keys``, at
    once or, given ``later``, when it is applied."""
    old, new = set(before), set(after)
    delta: Pairs = {p: 1 for p in new - old}
    delta.update((p, -1) for p in old - new)
    if not delta:
        return
    ppk = conn.execute(sa.select(s.runs.c.project_pk).where(s.runs.c.pk == run_pk)).scalar()
    if ppk is None:
        return
    counts = later if later is not None else KeyCounts()
    counts.add(int(ppk), delta, run_pk)
    if later is None:
        counts.apply(conn)


def metric_defs(state: Any) -> dict[str, str | None]:
    """A run's ``define_metric`` declarations: name -> step metric (``RunState``)."""
    return {m.name: m.step_metric for m in state.summary.metrics.all()}


def write_metrics(conn: sa.Connection, run_pk: int, defs: dict[str, str | None],
                  before: dict[str, str | None] | None, fresh: bool) -> None:
    """Rewrites a run's ``run_metrics`` rows when its declarations changed (``before`` None: not
    known, rewritten)."""
    if defs == before or (fresh and not defs):
        return
    if not fresh:
        conn.execute(sa.delete(s.run_metrics).where(s.run_metrics.c.run_pk == run_pk))
    if defs:
        conn.execute(sa.insert(s.run_metrics), [{"run_pk": run_pk, "name": n, "step_metric": sm}
                                                for n, sm in defs.items()])
