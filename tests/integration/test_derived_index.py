"""What ingest keeps counted for the workspace's page-level reads (``store/derived.py``): a
project's keys (``project_keys``) and its ``define_metric`` declarations (``run_metrics``) stay
equal to what grouping every run's rows gives, through new runs, live runs gaining keys, kinds
changing, replaced logs, deleted runs and an index migrated from the schema before them; and the
runs list's ``fields`` projection (docs/http-api.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from index_stores import KINDS, column_storage, served_index, stored_without_pglz
from runyard.log.records import Kind
from runyard.store import Ingestor, Store
from runyard.store import queries as q
from runyard.store import schema as s
from runyard.store.fixtures import LogWriter


def grouped_keys(conn: sa.Connection, project: str) -> list[dict[str, Any]]:
    """The project's keys as grouping ``run_keys`` gives them (what the old query computed)."""
    ppk = conn.execute(sa.select(s.projects.c.pk).where(s.projects.c.name == project)).scalar_one()
    rows = conn.execute(sa.select(s.run_keys.c.key, s.run_keys.c.kinds, sa.func.count(), sa.func.min(s.run_keys.c.run_pk))
                        .join(s.runs, s.runs.c.pk == s.run_keys.c.run_pk).where(s.runs.c.project_pk == ppk)
                        .group_by(s.run_keys.c.key, s.run_keys.c.kinds)
                        .order_by(sa.func.min(s.run_keys.c.run_pk), s.run_keys.c.key, s.run_keys.c.kinds)).all()
    merged: dict[str, tuple[list[str], int]] = {}
    for key, kinds, n, _ in rows:
        known, count = merged.get(key, ([], 0))
        known += [k for k in json.loads(kinds) if k not in known]
        merged[key] = (known, count + int(n))
    return [{"key": k, "kinds": v[0], "runs": v[1]} for k, v in sorted(merged.items())]


def check_keys(store: Store, project: str = "p") -> list[dict[str, Any]]:
    with store.read() as conn:
        stored = q.project_keys(conn, project)
        assert stored == grouped_keys(conn, project)
        # no pair is kept for keys no run holds
        assert conn.execute(sa.select(sa.func.count()).select_from(s.project_keys)
                            .where(s.project_keys.c.runs <= 0)).scalar_one() == 0
    return stored


def test_project_keys_follow_every_change(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    a = LogWriter(root, "p", "run00001")
    for i in range(50):
        a.row({"loss": 1.0 / (i + 1), "acc": i / 50})
    a.end()
    b = LogWriter(root, "p", "run00002")  # live: gains keys over several passes
    b.row({"loss": 2.0})
    ing = Ingestor(root, store)
    ing.ingest_all()
    assert {k["key"]: k["runs"] for k in check_keys(store)} == {"loss": 2, "acc": 1}
    b.row({"loss": 1.5, "extra": 3.0})
    b.row({"acc": "text now"})  # a second kind for acc in this run
    ing.ingest_all()
    keys = {k["key"]: k for k in check_keys(store)}
    assert keys["extra"]["runs"] == 1 and keys["acc"]["runs"] == 2
    assert keys["acc"]["kinds"] == ["number", "string"] or set(keys["acc"]["kinds"]) >= {"string"}
    b.end()
    ing.ingest_all()
    # a replaced log (another run under the same folder) starts its run over: its old keys go
    w = LogWriter(root, "p", "run00002", name="again")
    w.row({"other": 1.0})
    w.end()
    ing.ingest_all()
    keys = {k["key"]: k["runs"] for k in check_keys(store)}
    assert keys == {"loss": 1, "acc": 1, "other": 1}
    # a run whose folder is gone leaves the counts
    shutil.rmtree(root / "p" / "run00001")
    ing.prune()
    assert {k["key"]: k["runs"] for k in check_keys(store)} == {"other": 1}


def test_metric_definitions_are_stored_per_run(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    for rid, defs in (("run00001", ["val/*"]), ("run00002", ["val/*", "loss"]), ("run00003", [])):
        w = LogWriter(root, "p", rid)
        for name in defs:
            w.write([Kind.METRIC, {"name": name, "step_metric": "epoch" if name.endswith("*") else None}])
        w.row({"val/acc": 0.5, "epoch": 1.0, "loss": 1.0})
        w.end()
    ing = Ingestor(root, store)
    ing.ingest_all()
    with store.read() as conn:
        assert q.metric_definitions(conn, "p") == [{"name": "loss", "step_metric": None, "runs": 1},
                                                   {"name": "val/*", "step_metric": "epoch", "runs": 2}]
    w = LogWriter(root, "p", "run00002")  # replaced, without declarations
    w.row({"val/acc": 0.5})
    w.end()
    ing.ingest_all()
    with store.read() as conn:
        assert q.metric_definitions(conn, "p") == [{"name": "val/*", "step_metric": "epoch", "runs": 1}]


def test_an_index_from_before_is_filled_when_migrated(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    for rid in ("run00001", "run00002"):
        w = LogWriter(root, "p", rid)
        w.write([Kind.METRIC, {"name": "val/*", "step_metric": "epoch"}])
        w.row({"val/acc": 0.5, "epoch": 1.0, rid: 1.0})
        w.end()
    Ingestor(root, store).ingest_all()
    with store.read() as conn:
        keys, metrics = q.project_keys(conn, "p"), q.metric_definitions(conn, "p")
    with store.begin() as conn:  # the index as version 3 left it
        s.project_keys.drop(conn)
        s.run_metrics.drop(conn)
        conn.execute(sa.delete(s.schema_migrations))
        conn.execute(sa.insert(s.schema_migrations).values(version=3, applied_at=0.0))
        s.migrate(conn)
    with store.read() as conn:
        assert q.project_keys(conn, "p") == keys and len(keys) == 4
        assert q.metric_definitions(conn, "p") == metrics == [{"name": "val/*", "step_metric": "epoch", "runs": 2}]


def test_tails_are_stored_with_lz4_once_migrated(store: Store, tmp_path: Path) -> None:
    """Version 5: on PostgreSQL a live series' raw tail goes through lz4, not pglz, in a new index
    and in one migrated from version 4; the tail rows written before read back the same."""
    if store.dialect != "postgresql":
        pytest.skip("a column's compression is PostgreSQL's")

    def lz4() -> bool:
        with store.read() as conn:
            return stored_without_pglz(conn, "tails")

    assert lz4()
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001")
    for i in range(100):  # a running run: its points stay in the raw tail
        w.row({f"m{k}": i * 0.5 + k for k in range(3)})
    Ingestor(root, store).ingest_all()
    with store.begin() as conn:  # the index as version 4 left it: pglz, the default
        conn.execute(sa.text("ALTER TABLE tails ALTER COLUMN data SET COMPRESSION pglz"))
        conn.execute(sa.delete(s.schema_migrations))
        conn.execute(sa.insert(s.schema_migrations).values(version=4, applied_at=0.0))
    with store.read() as conn:
        assert column_storage(conn, "tails")[0] == "p"
    with store.begin() as conn:
        s.migrate(conn)
    assert lz4()
    with store.read() as conn:
        versions = sorted(conn.execute(sa.select(s.schema_migrations.c.version)).scalars())
        assert versions == list(range(4, s.SCHEMA_VERSION + 1))
        assert conn.execute(sa.select(sa.func.count()).select_from(s.tails)).scalar_one() == 3
        got = q.series_query(conn, "p", ["run00001"], "m2", max_points=1000)[0]
    assert got["full_resolution"] and got["x"] == [float(i) for i in range(100)]
    assert got["min"] == got["max"] == [i * 0.5 + 2 for i in range(100)]


def test_series_pages_leave_room_for_updates(store: Store, tmp_path: Path) -> None:
    """Version 6: on PostgreSQL ``series`` is filled to half its pages (its counts are updated by
    every batch of a live run), in a new index and in one migrated from version 5, whose rows and
    counts read back the same."""
    if store.dialect != "postgresql":
        pytest.skip("a table's fillfactor is PostgreSQL's")

    def options() -> list[str]:
        with store.read() as conn:
            return list(conn.execute(sa.text("SELECT reloptions FROM pg_class WHERE oid = CAST('series' AS regclass)"))
                        .scalar_one() or [])

    assert options() == ["fillfactor=50"]
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001")
    for i in range(40):  # a running run: every ingest pass updates its series' counts
        w.row({"a": float(i), "b": i * 2.0})
        if i % 10 == 9:
            Ingestor(root, store).ingest_all()
    with store.begin() as conn:  # the index as version 5 left it: full pages
        conn.execute(sa.text("ALTER TABLE series RESET (fillfactor)"))
        conn.execute(sa.delete(s.schema_migrations))
        conn.execute(sa.insert(s.schema_migrations).values(version=5, applied_at=0.0))
    assert options() == []
    with store.begin() as conn:
        s.migrate(conn)
    assert options() == ["fillfactor=50"]
    with store.read() as conn:
        versions = sorted(conn.execute(sa.select(s.schema_migrations.c.version)).scalars())
        assert versions == list(range(5, s.SCHEMA_VERSION + 1))
        assert {k: n for k, n in conn.execute(sa.select(s.series.c.key, s.series.c.n))} == {"a": 40, "b": 40}
        got = q.series_query(conn, "p", ["run00001"], "b", max_points=1000)[0]
    assert got["x"] == [float(i) for i in range(40)] and got["max"] == [i * 2.0 for i in range(40)]


@pytest.mark.parametrize("kind", KINDS)
def test_runs_list_fields(kind: str, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001", config={"lr": 0.1}, tags=["a"], name="first")
    w.row({"loss": float("nan"), "acc": 0.5})
    w.end()
    with served_index(kind, root) as c:
        full = c.get("/api/projects/p/runs").json()
        run = full["runs"][0]
        assert run["summary"]["loss"] == {"$float": "NaN"} and run["config"] == {"lr": 0.1} and run["tags"] == ["a"]
        assert run["project"] == "p" and run["name"] == "first" and "metadata" not in run
        light = c.get("/api/projects/p/runs", params={"fields": "name,state,config"}).json()
        assert light["total"] == 1
        assert light["runs"] == [{"project": "p", "id": "run00001", "name": "first", "state": run["state"],
                                  "config": {"lr": 0.1}}]
        only = c.get("/api/projects/p/runs", params={"fields": "summary"}).json()["runs"][0]
        assert only == {"project": "p", "id": "run00001", "summary": run["summary"]}
        bad = c.get("/api/projects/p/runs", params={"fields": "name,sumary,metadata"})
        assert bad.status_code == 400
        body = bad.json()
        assert body["ok"] is False and body["status"] == 400
        assert "'metadata', 'sumary'" in body["error"] and "summary" in body["error"]
