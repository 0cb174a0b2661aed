"""The index takes what the log holds (docs/http-api.md, "flags"): NUL characters in keys, config
keys and strings round-trip exactly on PostgreSQL too, and a run that cannot be indexed (a step
past 2^63, a key past the database's index limits) is listed with its error, never dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the server extra is not installed")

from runyard.log.records import Kind  # noqa: E402
from runyard.store import Ingestor, Store  # noqa: E402
from runyard.store import queries as q  # noqa: E402
from runyard.store.fixtures import LogWriter  # noqa: E402


def test_nul_characters_round_trip_exactly(tmp_path: Path, store: Store) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "nul", config={"a\x00b": "v\x00w", "k\ue000": "\ue0000"}, name="n\x00me")
    w.write([Kind.ROW, 0, 1.0, 0.1, {"x\x00y": 1.0, "s": "t\x00u", "\x00": 2.0}],
            [Kind.ROW, 1, 2.0, 0.2, {"x\x00y": 3.0}],
            [Kind.OUTPUT, 2.0, 1, "out\x00put\n"], [Kind.END, 3.0, 1.0, 0, {}])
    Ingestor(root, store).ingest_all()
    with store.read() as conn:
        run = q.run_doc(q.run_row(conn, "p", "nul"), "p")
        assert run["name"] == "n\x00me" and run["flags"] == {}
        assert run["config"] == {"a\x00b": "v\x00w", "k\ue000": "\ue0000"}
        assert run["summary"]["x\x00y"] == 3.0 and run["summary"]["s"] == "t\x00u" and run["summary"]["\x00"] == 2.0
        keys = {k["key"] for k in q.run_keys(conn, q.run_pk(conn, "p", "nul"))}
        assert {"x\x00y", "s", "\x00"} <= keys
        series = q.series_query(conn, "p", ["nul"], "x\x00y")[0]
        assert series["last"] == [1.0, 3.0]
        found = q.list_runs(conn, "p", {"config.a\x00b": "v\x00w", "summary_metrics.s": {"$regex": "^t"}})
        assert [r["id"] for r in found["runs"]] == ["nul"]
        out = q.output_page(conn, q.run_pk(conn, "p", "nul"))
        assert out["items"][0]["text"] == "out\x00put\n"


def test_a_run_that_cannot_be_indexed_is_listed_with_its_error(tmp_path: Path, store: Store) -> None:
    root = tmp_path / "runs"
    big = LogWriter(root, "p", "bigstep", name="big steps")
    big.write([Kind.ROW, 0, 1.0, 0.1, {"a": 1.0}], [Kind.ROW, 2**63, 1.0, 0.1, {"a": 2.0}],
              [Kind.END, 2.0, 1.0, 0, {}])
    long = LogWriter(root, "p", "longkey")
    long.write([Kind.ROW, 0, 1.0, 0.1, {"k" * 1_000_000: 1.0, "short": 2.0}], [Kind.END, 2.0, 1.0, 0, {}])
    fine = LogWriter(root, "p", "fine")
    fine.write([Kind.ROW, 0, 1.0, 0.1, {"a": 1.0}], [Kind.END, 2.0, 1.0, 0, {}])
    ingestor = Ingestor(root, store)
    ingestor.ingest_all()
    ingestor.ingest_all()  # a second pass keeps the run listed
    with store.read() as conn:
        runs = {r["id"]: r for r in q.list_runs(conn, "p")["runs"]}
    assert set(runs) == {"bigstep", "longkey", "fine"}
    error = runs["bigstep"]["flags"]["index_error"]["message"]
    assert "range" in error or "too large" in error, error
    assert runs["bigstep"]["name"] == "big steps" and runs["bigstep"]["state"] == "finished"
    assert runs["fine"]["flags"] == {}
    if "index_error" not in runs["longkey"]["flags"]:  # SQLite indexes it whole
        with store.read() as conn:
            keys = {k["key"] for k in q.run_keys(conn, q.run_pk(conn, "p", "longkey"))}
        assert "k" * 1_000_000 in keys
