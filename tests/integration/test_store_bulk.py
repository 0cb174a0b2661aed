"""Ingest through the bulk path (runs of equal-length ROW frames decoded with numpy) builds the
same index, byte for byte, as decoding every record on its own, whatever the logs hold and
wherever a batch ends; and the state it derives is the writer's."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest

from index_stores import dump
from runyard.log.reader import RunFolder
from runyard.log.records import Kind
from runyard.log.summary import MetricDef
from runyard.store import Ingestor, Store, ingest_pass, reindex
from runyard.store import ingest as ingest_mod
from runyard.store.fixtures import LogWriter


def tricky_logs(root: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = LogWriter(root, "p", f"run{seed:05d}", config={"lr": 0.1})
    w.write([Kind.METRIC, MetricDef("acc", summary=("max", "mean", "first")).to_record()])
    w.write([Kind.METRIC, MetricDef("val/*", summary=("min", "last"), goal="minimize").to_record()])
    special = [math.nan, math.inf, -math.inf, 0.0, -0.0]
    step = 0
    for block in range(40):
        n = int(rng.integers(1, 400))
        shape = int(rng.integers(0, 6))
        for i in range(n):
            v = float(rng.normal())
            if rng.random() < 0.02:
                v = special[int(rng.integers(len(special)))]
            if shape == 0:
                row: dict[str, Any] = {"loss": v}
            elif shape == 1:
                row = {"loss": v, "acc": int(rng.integers(0, 300)), "val/loss": v * 2}
            elif shape == 2:
                row = {"loss": v, "lr": 0.5} if i % 3 else {"val/acc": v, "epoch": step // 100}
            elif shape == 3:
                row = {"x": v, "nested": {"a": v, "b": int(rng.integers(-5, 5))}}
            elif shape == 4:
                row = {"loss": v, "note": "text"} if i == n // 2 else {"loss": v, "acc": -3}
            else:
                row = {f"m{j}": v + j for j in range(12)}
            w.row(row, step=step)
            step += int(rng.integers(1, 3)) if rng.random() < 0.01 else 1
            if rng.random() < 0.002:
                w.write([Kind.OUTPUT, w.t0 + step, 1, f"line {step}\n"])
        if block == 20:
            w.write([Kind.SUMMARY, {"manual": 1}, ["loss", "_step"]])
        if block == 30:
            step = 70_000  # steps past 65535: a 5-byte integer
    w.end()
    LogWriter(root, "p", "tiny").row({"a": 1.0})


@pytest.mark.parametrize("seed,batch_points", [(1, 2_000_000), (2, 3_001), (3, 777), (4, 50_000)])
def test_bulk_and_record_by_record_ingest_are_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        seed: int, batch_points: int) -> None:
    root = tmp_path / "runs"
    tricky_logs(root, seed)
    monkeypatch.setattr(ingest_mod, "BATCH_POINTS", batch_points)
    bulk = Store(tmp_path / "bulk.sqlite3")
    Ingestor(root, bulk).ingest_all()
    got = dump(bulk)
    monkeypatch.setattr(ingest_pass, "_FAST_MIN", 10**9)  # every record on its own
    one = Store(tmp_path / "one.sqlite3")
    Ingestor(root, one).ingest_all()
    assert got == dump(one)
    # the cursor's state is the writer's interpretation of the log
    state, _ = RunFolder(root / "p" / f"run{seed:05d}").load_state(resolve_liveness=False)
    cursor = msgpack.unpackb(got["cursors"][0][2], raw=False, strict_map_key=False)["state"]
    assert msgpack.packb(cursor) == msgpack.packb(state.to_dict())
    bulk.close()
    one.close()


def test_growing_log_bulk_equals_reindex(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    w = LogWriter(root, "p", "run00001", alive=True)
    store = Store(tmp_path / "index.sqlite3")
    ing = Ingestor(root, store)
    rng = np.random.default_rng(3)
    for part in range(8):
        for _ in range(int(rng.integers(1, 5_000))):
            w.row({"x": float(rng.normal()), "y": w.step * 2} if part % 2 else {"x": float(rng.normal())})
        if part == 5:
            w.raw(b"\x30\x00\x00")  # a torn tail, then a resuming writer cuts it off
            ing.ingest_all()
            with open(w.path, "r+b") as f:
                f.truncate(w.path.stat().st_size - 3)
        ing.ingest_all()
    w.end()
    ing.ingest_all()
    incremental = dump(store)
    reindex(root, store)
    assert dump(store) == incremental
    store.close()
