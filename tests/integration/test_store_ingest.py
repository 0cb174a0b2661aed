"""The index on SQLite and PostgreSQL: incremental, idempotent, crash-safe ingest; torn tails and
corrupt middles; reindex from the logs alone; run filters, orders and pages."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest
import sqlalchemy as sa

from index_stores import dump, index_store
from runyard.log.records import Kind
from runyard.store import Ingestor, Store, reindex
from runyard.store import ingest as ingest_mod
from runyard.store import queries as q
from runyard.store import schema as s
from runyard.store.fixtures import LogWriter


def write_runs(root: Path, rows: int = 3000) -> None:
    a = LogWriter(root, "proj", "aaaa1111", config={"lr": 0.1, "opt": {"name": "adam"}}, tags=["base"])
    for i in range(rows):
        row: dict[str, Any] = {"loss": 1.0 / (i + 1), "acc": i / rows, "nested": {"g": float(i % 7)}}
        if i % 500 == 0:
            row["hist"] = {"_type": "histogram", "values": [1, 2, 3], "bins": [0.0, 1.0, 2.0, 3.0]}
            row["img"] = {"_type": "image-file", "path": f"media/image/{i:064d}.png", "width": 2, "height": 2}
        if i % 1000 == 0:
            a.write([Kind.OUTPUT, a.t0 + i, 1, f"step {i}\n"])
        a.row(row)
    a.end()
    b = LogWriter(root, "proj", "bbbb2222", config={"lr": 0.01, "opt": {"name": "sgd"}}, tags=["exp"])
    for i in range(rows // 2):
        b.row({"loss": 2.0 / (i + 1), "epoch": i // 100})
    b.end(1)


def test_ingest_builds_the_index(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write_runs(root)
    Ingestor(root, store).ingest_all()
    with store.read() as conn:
        runs = q.list_runs(conn, "proj", order="+name")
        assert runs["total"] == 2
        a = runs["runs"][0]
        assert a["id"] == "aaaa1111" and a["state"] == "finished" and a["rows"] == 3000
        assert a["config"] == {"lr": 0.1, "opt": {"name": "adam"}}
        assert a["summary"]["loss"] == 1.0 / 3000
        keys = {k["key"]: k for k in q.run_keys(conn, q.run_pk(conn, "proj", "aaaa1111"))}
        assert keys["loss"]["kinds"] == ["number"] and keys["loss"]["points"] == 3000
        assert keys["nested/g"]["points"] == 3000
        assert keys["hist"]["kinds"] == ["histogram"] and keys["img"]["kinds"] == ["image-file"]
        rpk = q.run_pk(conn, "proj", "aaaa1111")
        assert q.media_steps(conn, rpk, "img") == [0, 500, 1000, 1500, 2000, 2500]
        assert q.media_at(conn, rpk, "img", 777)["step"] == 500
        m = q.histogram_matrix(conn, rpk, "hist")
        assert m["steps"] == [0, 500, 1000, 1500, 2000, 2500] and len(m["counts"][0]) == 64
        assert math.isclose(sum(m["counts"][0]), 6.0)
        out = q.output_page(conn, rpk, limit=2)
        assert [i["text"] for i in out["items"]] == ["step 0\n", "step 1000\n"] and out["more"]
        series = q.series_query(conn, "proj", ["aaaa1111", "bbbb2222"], "loss", max_points=100)
        assert [len(x["x"]) <= 100 for x in series] == [True, True]
        assert series[0]["first"][0] == 1.0 and series[0]["last"][-1] == 1.0 / 3000
        by_epoch = q.series_query(conn, "proj", ["bbbb2222"], "loss", x_axis="epoch", max_points=5000)
        assert by_epoch[0]["full_resolution"] and by_epoch[0]["total"] == 1500


def test_incremental_equals_one_pass_and_is_idempotent(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001", alive=True)
    ing = Ingestor(root, store)
    rng = np.random.default_rng(1)
    for _part in range(6):
        for _ in range(int(rng.integers(1, 20_000))):
            w.row({"x": float(rng.normal()), "y": w.step * 2})
        ing.ingest_all()
    w.end()
    ing.ingest_all()
    ing.ingest_all()  # nothing new: nothing changes
    incremental = dump(store)
    reindex(root, store)
    assert dump(store) == incremental


def test_killed_mid_ingest_ends_as_if_never_stopped(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001")
    for i in range(50_000):
        w.row({"a": float(i), "b": float(-i)})
    w.end()
    reindex(root, store)
    expected = dump(store)
    store.clear()

    monkeypatch.setattr(ingest_mod, "BATCH_POINTS", 7_000)
    calls = {"n": 0}
    real_write = Ingestor._write

    def dying_write(self: Ingestor, *args: Any, **kw: Any) -> None:
        calls["n"] += 1
        real_write(self, *args, **kw)
        if calls["n"] == 4:  # the process dies inside the 4th transaction, after its writes
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(Ingestor, "_write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        Ingestor(root, store).ingest_all()
    with store.read() as conn:
        n = conn.execute(sa.select(s.series.c.n).where(s.series.c.key == "a")).scalar_one()
    assert n == 3 * 3500  # three batches committed, the fourth rolled back
    monkeypatch.setattr(Ingestor, "_write", real_write)
    Ingestor(root, store).ingest_all()  # a new process: continues from the cursor
    assert dump(store) == expected


def test_torn_tail_then_resume(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001")
    for i in range(100):
        w.row({"a": float(i)})
    good = w.path.stat().st_size
    w.raw(b"\x40\x00\x00\x00\x12\x34")  # half a frame header: a crash mid-write
    ing = Ingestor(root, store)
    ing.ingest_all()  # no warning: the index flags the run instead
    with store.read() as conn:
        doc = q.run_doc(q.run_row(conn, "p", "run00001"), "p")
    assert doc["rows"] == 100 and doc["flags"]["torn_tail"]["offset"] == good
    with open(w.path, "r+b") as f:  # a resuming writer truncates the torn tail and goes on
        f.truncate(good)
    for i in range(100, 150):
        w.row({"a": float(i)})
    ing.ingest_all()
    with store.read() as conn:
        doc = q.run_doc(q.run_row(conn, "p", "run00001"), "p")
        assert doc["rows"] == 150 and "torn_tail" not in doc["flags"]
        series = q.series_query(conn, "p", ["run00001"], "a", max_points=1000)[0]
    assert series["first"] == [float(i) for i in range(150)]


def test_corrupt_middle_indexes_every_good_record(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001")
    for i in range(50):
        w.row({"a": float(i)})
    bad_at = w.path.stat().st_size
    for i in range(50, 100):
        w.row({"a": float(i)})
    w.end()
    data = bytearray(w.path.read_bytes())
    data[bad_at + 12] ^= 0xFF  # flip a payload byte of the 51st row
    w.path.write_bytes(bytes(data))
    LogWriter(root, "p", "run00002").row({"a": 1.0})
    Ingestor(root, store).ingest_all()
    with store.read() as conn:
        doc = q.run_doc(q.run_row(conn, "p", "run00001"), "p")
        assert doc["rows"] == 99 and doc["flags"]["corrupt"]["offset"] == bad_at
        ((off, n),) = doc["flags"]["corrupt"]["skipped"]
        assert off == bad_at and 0 < n < 100  # the one damaged frame
        assert doc["state"] == "finished"  # the end record after the damage was read
        assert q.list_runs(conn, "p")["total"] == 2


def test_filters_orders_and_pages(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    for i in range(30):
        w = LogWriter(root, "p", f"run{i:05d}", config={"lr": i / 100, "opt": "adam" if i % 2 else "sgd",
                                                        "model": {"depth": i % 5}},
                      tags=["even"] if i % 2 == 0 else ["odd"], name=f"name-{i:02d}", created_at=1e9 + i)
        w.row({"acc": (i * 7) % 30 / 30})
        if i != 3:
            w.end()
    Ingestor(root, store).ingest_all()

    def ids(**kw: Any) -> list[str]:
        with store.read() as conn:
            return [r["id"] for r in q.list_runs(conn, "p", **kw)["runs"]]

    assert ids(filters={"config.lr": {"$gt": 0.25}}, order="+config.lr") == [f"run{i:05d}" for i in range(26, 30)]
    assert len(ids(filters={"config.opt": "adam"}, limit=100)) == 15
    assert len(ids(filters={"tags": {"$in": ["odd"]}}, limit=100)) == 15
    assert ids(filters={"$and": [{"config.model.depth": 4}, {"config.lr": {"$lt": 0.1}}]}) == ["run00009", "run00004"]
    assert ids(filters={"$or": [{"display_name": "name-01"}, {"state": "crashed"}]}, order="+name") == [
        "run00001", "run00003"]
    assert ids(filters={"display_name": {"$regex": "^name-1[0-2]$"}}, order="-name") == [
        "run00012", "run00011", "run00010"]
    best = ids(order="-summary_metrics.acc", limit=3)
    assert best == ["run00017", "run00004", "run00021"]
    page1 = ids(order="+created_at", limit=10, offset=0)
    page2 = ids(order="+created_at", limit=10, offset=10)
    assert page1[0] == "run00000" and page2[0] == "run00010" and not set(page1) & set(page2)
    # every later page is the same slice of the whole list (a later page finds its rows by key
    # first), for any order and filter, and so are the JSON pages of chosen fields
    for order, filters in (("-summary_metrics.acc", None), ("+name", {"config.opt": "adam"}), (None, None)):
        whole = ids(order=order, filters=filters, limit=100)
        assert [x for o in range(0, 30, 7) for x in ids(order=order, filters=filters, limit=7, offset=o)] == whole
        with store.read() as conn:
            doc = json.loads(q.list_runs_json(conn, "p", filters, order, 7, 7, None, q.run_fields("name,summary")))
        assert [r["id"] for r in doc["runs"]] == whole[7:14] and doc["offset"] == 7
        assert all(set(r) == {"id", "project", "name", "summary"} for r in doc["runs"])
    assert ids(filters={"config.missing": {"$exists": True}}) == []
    assert ids(search="NAME-29") == ["run00029"]
    with store.read() as conn, pytest.raises(q.QueryError):
        q.list_runs(conn, "p", filters={"config.lr": {"$bogus": 1}})


def test_replaced_log_and_not_a_log(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001", config={"v": 1})
    for i in range(300):
        w.row({"a": float(i)})
    w.end()
    ing = Ingestor(root, store)
    ing.ingest_all()
    w2 = LogWriter(root, "p", "run00001", config={"v": 2}, name="again")  # same folder, a new log
    for i in range(500):
        w2.row({"b": float(i)})
    w2.end()
    ing.ingest_all()
    with store.read() as conn:
        doc = q.run_doc(q.run_row(conn, "p", "run00001"), "p")
        keys = [k["key"] for k in q.run_keys(conn, q.run_pk(conn, "p", "run00001"))]
    assert doc["config"] == {"v": 2} and doc["rows"] == 500 and keys == ["b"]
    bad = root / "p" / "junk0001"
    bad.mkdir()
    (bad / "run.rylog").write_bytes(b"this is not a run log at all")
    ing.ingest_all()
    with store.read() as conn:
        junk = q.run_doc(q.run_row(conn, "p", "junk0001"), "p")
    assert "not a runyard run log" in junk["flags"]["corrupt"]["error"]


def test_nul_in_output_and_a_failing_run_does_not_stop_others(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001")
    w.write([Kind.OUTPUT, w.t0, 1, "binary \x00 junk\n"])
    w.end()
    bad = LogWriter(root, "p", "run00002")
    bad.row({"a": 1.0})
    real = Ingestor._ingest_in  # one run's batch, in a transaction of its own or shared with other runs

    def failing(self: Ingestor, conn: Any, folder: Path, size: int) -> Any:
        if folder.name == "run00002":
            raise RuntimeError("disk on fire")
        return real(self, conn, folder, size)

    monkeypatch.setattr(Ingestor, "_ingest_in", failing)
    ing = Ingestor(root, store)
    ing.ingest_all()
    ing.ingest_all()  # reported once, retried quietly
    with store.read() as conn:
        out = q.output_page(conn, q.run_pk(conn, "p", "run00001"))
        failed = q.run_doc(q.run_row(conn, "p", "run00002"), "p")  # listed, with the reason
    assert out["items"][0]["text"] == "binary \x00 junk\n"  # kept exactly, PostgreSQL included
    assert "disk on fire" in failed["flags"]["index_error"]["message"]
    monkeypatch.setattr(Ingestor, "_ingest_in", real)
    ing.ingest_all()
    with store.read() as conn:
        assert q.list_runs(conn, "p")["total"] == 2
        assert "index_error" not in q.run_doc(q.run_row(conn, "p", "run00002"), "p")["flags"]


def test_two_ingesters_on_one_index(store: Store, tmp_path: Path) -> None:
    """Two server processes following the same logs (a team server): nothing doubles."""
    import threading

    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001", alive=True)
    for i in range(20_000):
        w.row({"a": float(i)})
    a, b = Ingestor(root, store), Ingestor(root, store)
    a.ingest_all()  # the run exists in both views from here on
    errors: list[BaseException] = []

    def follow(ing: Ingestor) -> None:
        try:
            for _ in range(5):
                ing.ingest_all()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    for part in range(3):
        for i in range(5_000):
            w.row({"a": float(20_000 + part * 5_000 + i)})
        threads = [threading.Thread(target=follow, args=(ing,)) for ing in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    w.end()
    a.ingest_all()
    b.ingest_all()
    assert not errors
    with store.read() as conn:
        assert conn.execute(sa.select(s.series.c.n)).scalar_one() == 35_000
        series = q.series_query(conn, "p", ["run00001"], "a", x_range=(0, 34_999), max_points=10_000)[0]
    assert series["count"] and sum(series["count"]) == 35_000


def test_deleted_run_folder_leaves_the_index(store: Store, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "runs"
    for rid in ("run00001", "run00002"):
        w = LogWriter(root, "p", rid)
        w.row({"a": 1.0})
        w.end()
    ing = Ingestor(root, store)
    ing.ingest_all()
    shutil.rmtree(root / "p" / "run00001")
    assert ing.prune() == ["p/run00001"]
    with store.read() as conn:
        assert [r["id"] for r in q.list_runs(conn, "p")["runs"]] == ["run00002"]
        assert conn.execute(sa.select(sa.func.count()).select_from(s.series)).scalar_one() == 1


def test_malformed_record_with_a_good_checksum(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001")
    for i in range(10):
        w.row({"a": float(i)})
    bad_at = w.path.stat().st_size
    w.write([Kind.ROW, 10, "not a time", 0.0, {"a": 1.0}])
    w.row({"a": 11.0})
    Ingestor(root, store).ingest_all()
    with store.read() as conn:
        doc = q.run_doc(q.run_row(conn, "p", "run00001"), "p")
    assert doc["rows"] == 10 and doc["flags"]["corrupt"]["offset"] == bad_at


def test_fields_of_a_growing_run_are_rewritten_exactly(store: Store, tmp_path: Path) -> None:
    """A run indexed batch after batch (a live run: ingest rewrites only the parts of its fields,
    summary or config and tags, that changed) has, after each batch, the same ``run_fields`` rows as
    the same log indexed from scratch: values changed, unchanged, new and removed, NaN and
    infinities, config and tags edited, two runs in one pass."""
    root = tmp_path / "runs"
    writers = [LogWriter(root, "p", f"grow{i:04d}", config={"lr": 0.1, "opt": {"name": "adam"}}, tags=["a"])
               for i in range(2)]
    ing = Ingestor(root, store)

    def fields(st: Store) -> list[tuple[Any, ...]]:
        with st.read() as conn:
            return sorted(conn.execute(sa.select(s.runs.c.run_id, s.run_fields.c.field, s.run_fields.c.num,
                                                 s.run_fields.c.text)
                                       .join(s.runs, s.runs.c.pk == s.run_fields.c.run_pk)).all(),
                          key=repr)

    steps = [
        lambda w, i: w.row({"loss": 1.0 + i, "acc": 0.5}),
        lambda w, i: w.row({"loss": 0.5 + i, "acc": 0.5, "lr_now": 0.01}),  # loss changed, acc not, a new key
        lambda w, i: w.write([Kind.SUMMARY, {"best": float("nan"), "worst": float("inf")}, ["acc"]]),  # one gone
        lambda w, i: w.write([Kind.CONFIG, {"lr": 0.2, "opt": {"name": "sgd", "momentum": 0.9}}],
                             [Kind.UPDATE, {"tags": ["b", "c"] if i else []}]),
        lambda w, i: (w.row({"loss": 0.25, "acc": 0.75}), w.end()),
    ]
    for n, step in enumerate(steps):
        for i, w in enumerate(writers):
            step(w, i)
        ing.ingest_all()
        with index_store("sqlite", tmp_path / f"scratch{n}") as scratch:
            Ingestor(root, scratch).ingest_all()
            assert fields(store) == fields(scratch), f"after batch {n}"
    final = fields(store)
    assert ("grow0001", "tags", None, "c") in final and ("grow0000", "config.opt.momentum", 0.9, None) in final
    assert ("grow0000", "summary.best", None, '{"$float":"NaN"}') in final and ("grow0000", "summary.loss", 0.25, None) in final


def test_a_batch_rewrites_only_the_part_of_the_fields_it_changed(store: Store, tmp_path: Path) -> None:
    """Rows logged: the summary's fields are written again, the config's and tags' rows are left
    as they are; a config edit writes those and leaves the summary's. A cursor saved before the
    parts had digests gets every row written once more, and right. (A trigger notes each row
    inserted into ``run_fields``.)"""
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001", config={f"c{i}": float(i) for i in range(20)}, tags=["t"])
    w.row({"loss": 1.0})
    ing = Ingestor(root, store)
    ing.ingest_all()
    with store.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE field_log (field TEXT)")
        if store.dialect == "postgresql":
            conn.exec_driver_sql("CREATE FUNCTION note_field() RETURNS trigger AS $$ BEGIN "
                                 "INSERT INTO field_log VALUES (NEW.field); RETURN NEW; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql("CREATE TRIGGER noted AFTER INSERT ON run_fields FOR EACH ROW "
                                 "EXECUTE FUNCTION note_field()")
        else:
            conn.exec_driver_sql("CREATE TRIGGER noted AFTER INSERT ON run_fields BEGIN "
                                 "INSERT INTO field_log VALUES (NEW.field); END")

    def written() -> list[str]:
        with store.begin() as conn:
            out = sorted(r[0] for r in conn.exec_driver_sql("SELECT field FROM field_log"))
            conn.exec_driver_sql("DELETE FROM field_log")
        return out

    def fields(st: Store) -> list[tuple[Any, ...]]:
        with st.read() as conn:
            return sorted(conn.exec_driver_sql("SELECT field, num, text FROM run_fields").all(), key=repr)

    config = sorted([f"config.c{i}" for i in range(20)] + ["tags"])
    summary = [f"summary.{k}" for k in ("_runtime", "_step", "_timestamp", "acc", "loss")]
    w.row({"loss": 0.5, "acc": 0.1})
    ing.ingest_all()
    assert written() == summary
    w.write([Kind.CONFIG, {"c0": -1.0}])
    ing.ingest_all()
    assert written() == config
    w.write([Kind.HEARTBEAT, 1.7e9, 12.0])
    ing.ingest_all()
    assert written() == []
    with store.begin() as conn:  # as a cursor from before the digests: no "fields" in its state
        state = msgpack.unpackb(conn.execute(sa.select(s.cursors.c.state)).scalar_one(), raw=False)
        del state["fields"]
        conn.execute(sa.update(s.cursors).values(state=msgpack.packb(state)))
    w.row({"loss": 0.25})
    w.end()
    ing.ingest_all()
    assert written() == sorted(config + summary)
    with index_store("sqlite", tmp_path / "scratch") as scratch:
        Ingestor(root, scratch).ingest_all()
        assert fields(store) == fields(scratch)
    assert ("config.c0", -1.0, None) in fields(store) and ("summary.loss", 0.25, None) in fields(store)
