"""Rows of floats are written in columnar ROWS records; every reader (history, state, index, the
server's history pages) sees exactly the rows that were logged, in order, mixed with other rows."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import runyard
from runyard.log.framing import read_frames
from runyard.log.reader import LOG_NAME, SNAPSHOT_NAME, RunFolder
from runyard.log.records import Kind, decode, encode
from runyard.server.history import history_page
from runyard.store import queries as q
from runyard.store.db import Store
from runyard.store.ingest import Ingestor


def logged_rows(n: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(n):
        if i % 97 == 13:
            rows.append({"loss": float(i), "note": f"row {i}"})  # a string: not a float row
        elif i % 101 == 50:
            rows.append({"loss": i, "acc": 0.5})  # an int: kept as an int
        elif i % 89 == 7:
            rows.append({"other": -0.0, "nan": math.nan})  # other keys: a block of its own
        else:
            rows.append({"loss": 1.0 / (i + 1), "acc": i * 0.25})
    return rows


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b and type(a) is type(b)


def test_rows_read_back_exactly_through_every_reader(runs_dir: Path, tmp_path: Path) -> None:
    run = runyard.init(project="p", id="block001")
    run.define_metric("loss", summary="min,mean")
    expected = logged_rows(3000)
    for i, row in enumerate(expected):
        run.log(row)
        if i == 1500:
            run.summary["manual"] = 1
    run.finish()
    log = runs_dir / "p" / "block001" / LOG_NAME
    kinds = [decode(p)[0] for _, p in read_frames(log)]
    assert kinds.count(Kind.ROWS) >= 1 and kinds.count(Kind.ROWS) + kinds.count(Kind.ROW) < 3000

    got = list(runyard.Api().run("p/block001").scan_history())
    assert len(got) == 3000
    for i, (want, row) in enumerate(zip(expected, got, strict=True)):
        assert row["_step"] == i
        assert set(row) - {"_step", "_timestamp", "_runtime"} == set(want)
        assert all(same(want[k], row[k]) for k in want), (i, want, row)
    assert all(a["_timestamp"] <= b["_timestamp"] for a, b in zip(got, got[1:], strict=False))

    # The state replayed from the log equals the writer's own (its snapshot).
    live, _ = RunFolder(runs_dir / "p" / "block001").load_state()
    (runs_dir / "p" / "block001" / SNAPSHOT_NAME).unlink()
    replayed, _ = RunFolder(runs_dir / "p" / "block001").load_state()
    assert replayed.rows == live.rows == 3000 and replayed.last_step == 2999
    cur = replayed.summary.current()
    assert encode([cur]) == encode([live.summary.current()])  # bit for bit (NaN included)
    losses = [r["loss"] for r in expected if "loss" in r]
    assert cur["loss"]["min"] == min(losses) and math.isclose(cur["loss"]["mean"], sum(losses) / len(losses))
    assert cur["manual"] == 1

    # The index holds every point.
    store = Store(tmp_path / "index.sqlite3")
    Ingestor(runs_dir, store).ingest_all()
    with store.read() as conn:
        doc = q.run_doc(q.run_row(conn, "p", "block001"), "p")
        series = q.series_query(conn, "p", ["block001"], "acc", max_points=10_000)[0]
    assert doc["rows"] == 3000 and doc["summary"]["loss"]["min"] == min(losses)
    accs = [r["acc"] for r in expected if "acc" in r]
    assert len(series["first"]) == len(accs) and [float(a) for a in accs] == series["first"]


@pytest.mark.parametrize("page_size", [1, 7, 1000])
def test_history_pages_never_split_or_repeat_a_block(runs_dir: Path, page_size: int) -> None:
    run = runyard.init(project="p", id="pages001")
    for i in range(2500):
        run.log({"x": float(i)})
    run.finish()
    folder = runs_dir / "p" / "pages001"
    seen: list[float] = []
    after = 0
    while True:
        page = history_page(folder, after, page_size, 0, None, None)
        seen.extend(r["x"] for r in page["rows"])
        if not page["more"]:
            break
        after = page["next"]
    assert seen == [float(i) for i in range(2500)]


def test_float_rows_keep_step_rules_order_and_values(runs_dir: Path) -> None:
    """The caller fills a block of float rows directly (sdk/items.FloatRows): explicit steps,
    commit=False, a reordered key set, numpy floats (not plain floats: the general path), records
    and a dict edited after log() all come back as logged, in order."""
    np = pytest.importorskip("numpy")
    run = runyard.init(project="p", id="block002")
    want: list[dict[str, object]] = []
    for i in range(40):
        row = {"a": i * 0.5, "b": -i * 0.25}
        run.log(row, step=i)  # explicit step: pending until the step moves on
        want.append(dict(row))
        row["a"] = 99.0  # edited after log(): the logged value stays
    run.log({"a": 1.5}, commit=False)  # merged into the pending row of step 39
    run.log({"b": 2.5})  # and committed, a row of floats
    want[-1] = {"a": 1.5, "b": 2.5}
    for i in range(5):
        run.log({"b": float(i), "a": float(-i)})  # same keys, other order: values stay with their keys
        want.append({"b": float(i), "a": float(-i)})
    run.config["lr"] = 0.1  # a record between rows of one block keeps its place
    for i in range(5):
        run.log({"a": np.float64(i) / 3, "b": float(i)})  # numpy floats: logged as their float values
        want.append({"a": float(np.float64(i) / 3), "b": float(i)})
    run.log({"a": 1, "b": 2.0})  # an int: not a float row, kept as an int
    want.append({"a": 1, "b": 2.0})
    run.finish()
    got = list(runyard.Api().run("p/block002").scan_history())
    assert [r["_step"] for r in got] == list(range(len(want)))
    for w, r in zip(want, got, strict=True):
        assert {k: r[k] for k in w} == w and all(type(r[k]) is type(w[k]) for k in w), (w, r)
    kinds = [decode(p)[0] for _, p in read_frames(runs_dir / "p" / "block002" / LOG_NAME)]
    assert Kind.ROWS in kinds and kinds.index(Kind.CONFIG) < len(kinds) - 1


def test_rows_of_one_value_keep_their_keys_types_and_steps(runs_dir: Path) -> None:
    """A row of one value (``log({"loss": x})``) has a check of its own on the hot path: rows of one
    float join the block of that key; another key, a key that is not a string, an int, a bool or a
    numpy float take the general path; a block of two keys never takes a one-value row."""
    np = pytest.importorskip("numpy")
    run = runyard.init(project="p", id="block003")
    want: list[dict[str, object]] = []
    for i in range(30):
        row: dict[str, object] = {"loss": i * 0.5}
        if i % 7 == 3:
            row = {"loss": i}  # an int stays an int
        elif i % 7 == 5:
            row = {"acc": float(i)}  # another key: a block of its own
        elif i % 11 == 4:
            row = {"loss": np.float32(i) / 4}
        elif i % 13 == 6:
            row = {"loss": True}
        run.log(row)
        want.append({k: float(v) if isinstance(v, np.floating) else v for k, v in row.items()})
    run.log({"loss": 0.25})  # the block of "loss" is open: a row of another single key leaves it
    want.append({"loss": 0.25})
    with pytest.raises(runyard.errors.LogValueError, match="keys must be strings"):
        run.log({None: 3.0})
    run.log({"loss2": 0.5})
    want.append({"loss2": 0.5})
    run.log({"loss": 1.0, "acc": 2.0})  # a block of two keys is open now
    want.append({"loss": 1.0, "acc": 2.0})
    with pytest.raises(runyard.errors.LogValueError, match="keys must be strings"):
        run.log({None: 3.0})  # a non-string key never slips into the open block
    with pytest.raises(runyard.errors.LogValueError, match="keys must be strings"):
        run.log({1: 3.0})
    run.log({"loss": 4.0})
    want.append({"loss": 4.0})
    run.finish()
    got = list(runyard.Api().run("p/block003").scan_history())
    assert [r["_step"] for r in got] == list(range(len(want)))
    for w, r in zip(want, got, strict=True):
        assert {k: r[k] for k in w} == w and all(type(r[k]) is type(w[k]) for k in w), (w, r)
        assert not set(r) - set(w) - {"_step", "_timestamp", "_runtime"}, (w, r)


@pytest.mark.parametrize("queue_limit", [200_000, 24])
def test_a_block_holds_consecutive_steps_up_to_its_cap(runs_dir: Path, queue_limit: int) -> None:
    """A block's steps are its first step plus the row's place: explicit steps with gaps, a jump
    (its row completed by the next log() without a step), a lower step refused, and blocks filled to a small cap (a small record size) and to a cap of
    groups of one row (a tiny queue limit) all read back at the steps they were logged at."""
    run = runyard.init(project="p", id=f"block004-{queue_limit}",
                       settings={"max_record_bytes": 4096, "queue_limit": queue_limit})
    want: list[tuple[int, float]] = []
    for i in range(300):  # the hot path, across several full blocks of 64 rows
        run.log({"x": i * 0.5})
        want.append((i, i * 0.5))
    for i in range(10):  # explicit steps with gaps: each row a block of its own
        run.log({"x": -float(i)}, step=400 + 10 * i)
        want.append((400 + 10 * i, -float(i)))
    run.log({"x": 7.0}, step=1000)  # a jump; the next row without a step completes step 1000
    for i in range(150):
        run.log({"x": float(i)})
        want.append((1000 + i, float(i)))
    with pytest.warns(runyard.RunyardWarning):
        run.log({"x": 1.0}, step=5)  # lower than the current step: refused, nothing else moves
    run.log({"x": 2.0})
    want.append((1150, 2.0))
    run.finish()
    got = [(r["_step"], r["x"]) for r in runyard.Api().run(f"p/block004-{queue_limit}").scan_history()]
    assert got == want
    kinds = [decode(p)[0] for _, p in read_frames(runs_dir / "p" / f"block004-{queue_limit}" / LOG_NAME)]
    assert kinds.count(Kind.ROWS) >= 300 // 64
