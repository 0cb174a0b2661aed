"""Torn tails, full disks, unwritable folders and backpressure: nothing logged before is lost."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import runyard
from runyard.log.framing import scan
from runyard.log.reader import LOG_NAME, SNAPSHOT_NAME, RunFolder


def test_torn_last_record_at_every_byte_offset(runs_dir: Path) -> None:
    run = runyard.init(project="p", id="torn0001")
    for i in range(20):
        run.log({"i": i, "s": "x" * i})
    run.finish()
    log = runs_dir / "p" / "torn0001" / LOG_NAME
    (runs_dir / "p" / "torn0001" / SNAPSHOT_NAME).unlink()
    data = log.read_bytes()
    offsets = []
    from runyard.log.framing import read_frames

    for offset, _ in read_frames(log):
        offsets.append(offset)
    last = offsets[-1]  # the END record
    prev_rows = None
    for cut in range(last, len(data)):
        log.write_bytes(data[:cut])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            api_run = runyard.Api().run("p/torn0001")
            rows = [r["i"] for r in api_run.scan_history()]
        assert rows == list(range(20))
        assert api_run.state == "running"  # no end record, and its process (this one) lives
        torn = [w for w in caught if "do not form a complete record" in str(w.message)]
        if cut > last:
            assert len(torn) == 1, f"cut at {cut}: expected one warning, got {len(torn)}"
            assert f"ignoring {cut - last} bytes after offset {last}" in str(torn[0].message)
        prev_rows = rows
    assert prev_rows is not None
    log.write_bytes(data)
    assert runyard.Api().run("p/torn0001").state == "finished"


def test_unwritable_folder_is_a_clear_error_at_init(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(runyard.UsageError, match="cannot create the run folder.*writable folder"):
        runyard.init(project="p", dir=blocker / "sub")


def test_full_disk_warns_once_keeps_earlier_rows_and_never_hangs(runs_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    run = runyard.init(project="p", id="full0001")
    run.log({"before": 1})
    run._sync()
    log_path = runs_dir / "p" / "full0001" / LOG_NAME
    good_size = log_path.stat().st_size
    # Point the writer at /dev/full: every write fails with ENOSPC, as on a full disk.
    real_fd = run._writer.log.fd
    full = os.open("/dev/full", os.O_WRONLY)
    run._writer.log.fd = full
    for i in range(1000):
        run.log({"during": i})
    run._sync()
    run._writer.log.fd = real_fd
    os.close(full)
    run.log({"after": 1})
    run.finish()
    err = capfd.readouterr().err
    assert err.count("could not write to") == 1 and "No space left on device" in err
    assert "1,000 rows (steps 1–1000) were not written — No space left on device" in err
    api_run = runyard.Api().run("p/full0001")
    rows = list(api_run.scan_history())
    assert [r.get("before", r.get("after")) for r in rows] == [1, 1]
    assert api_run.history_rows == 2  # the snapshot claims no row the log lacks
    assert scan(log_path).torn_bytes == 0 and log_path.stat().st_size > good_size
    # The loss is a record of the run (written once space came back), so readers and the index see it.
    (runs_dir / "p" / "full0001" / SNAPSHOT_NAME).unlink()
    state, _ = RunFolder(runs_dir / "p" / "full0001").load_state()
    assert state.lost["rows"] == 1000 and (state.lost["first_step"], state.lost["last_step"]) == (1, 1000)
    assert state.rows == 2
    from runyard.store import queries as q
    from runyard.store.db import Store
    from runyard.store.ingest import Ingestor

    store = Store(runs_dir.parent / "index.sqlite3")
    Ingestor(runs_dir, store).ingest_all()
    with store.read() as conn:
        doc = q.run_doc(q.run_row(conn, "p", "full0001"), "p")
    assert doc["flags"]["lost"]["rows"] == 1000 and doc["rows"] == 2


@pytest.mark.parametrize(("width", "limit", "rows"), [(2, 1000, 50_000), (3000, 60_000, 400)])
def test_backpressure_bounds_the_queue_and_drops_nothing(capfd: pytest.CaptureFixture[str], width: int, limit: int,
                                                         rows: int) -> None:
    """Narrow rows and wide ones (a block of those holds a few dozen rows): the queue's weight
    stays within its limit, both sides count the same rows, and every row is written."""
    run = runyard.init(project="p", settings={"queue_limit": limit})
    keys = [f"k{j}" for j in range(width)]
    peak = 0
    for i in range(rows):
        run.log(dict.fromkeys(keys, float(i)))
        peak = max(peak, run._queued_weight - run._writer.done_weight)
    run.finish()
    assert 0 < peak <= limit + width + 4
    assert run._queued_weight == run._writer.done_weight
    if width == 2:
        assert "log() now waits" in capfd.readouterr().err
    assert runyard.Api().run(run.path).history_rows == rows


def test_reader_of_an_empty_or_foreign_file(runs_dir: Path) -> None:
    folder = runs_dir / "p" / "empty001"
    folder.mkdir(parents=True)
    (folder / LOG_NAME).write_bytes(b"RYL")  # a header torn at creation
    with pytest.warns(runyard.RunyardWarning, match="ignoring 3 bytes after offset 0"):
        r = runyard.Api().run("p/empty001")
    assert r.history_rows == 0 and list(r.scan_history()) == []


def test_resume_repairs_a_torn_tail(runs_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code = "import runyard\nr = runyard.init(project='p', id='repair01')\nfor i in range(10): r.log({'i': i})\n"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)  # its process is gone after
    log = runs_dir / "p" / "repair01" / LOG_NAME
    log.write_bytes(log.read_bytes()[:-3])  # tear the END record
    run = runyard.init(project="p", id="repair01", resume="allow")
    run.log({"i": 10})
    run.finish()
    assert "dropped" in capfd.readouterr().err
    r = runyard.Api().run("p/repair01")
    assert [row["i"] for row in r.scan_history()] == list(range(11))
    assert scan(log).torn_bytes == 0 and r.state == "finished"


def test_queued_media_count_by_their_bytes() -> None:
    from runyard.types import Image

    run = runyard.init(project="p", settings={"queue_limit": 20_000})  # about 6 MB of pixels
    rng = np.random.default_rng(0)
    peak = 0
    for _ in range(60):
        run.log({"img": Image(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8))})
        peak = max(peak, run._queued_weight - run._writer.done_weight)
    run.finish()
    assert peak <= 20_000 + 1000  # one image's weight past the bound at most
    assert runyard.Api().run(run.path).history_rows == 60


def test_a_row_the_writer_cannot_encode_is_reported_and_never_blocks_the_caller(capfd: pytest.CaptureFixture[str]) -> None:
    from runyard.types.base import Media, MediaStore

    class Broken(Media):
        _type = "broken"

        def to_ref(self, store: MediaStore) -> dict[str, object]:
            raise RuntimeError("encoder exploded")

    run = runyard.init(project="p", settings={"queue_limit": 100})
    for i in range(300):  # far past the queue bound: each failure must still count as done
        run.log({"b": Broken(), "i": i})
    run.finish()
    err = capfd.readouterr().err
    assert err.count("could not store 'b'") == 1 and "encoder exploded" in err
    assert [r["i"] for r in runyard.Api().run(run.path).scan_history()] == list(range(300))


def test_summary_edit_of_a_crashed_run_with_a_torn_tail_is_kept(runs_dir: Path) -> None:
    code = "import runyard, os\nr = runyard.init(project='p', id='crash001')\nr.log({'a': 1})\nr._sync()\nos._exit(0)\n"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)  # dies without an END record
    log = runs_dir / "p" / "crash001" / LOG_NAME
    (runs_dir / "p" / "crash001" / SNAPSHOT_NAME).unlink(missing_ok=True)
    from runyard.log.framing import frame
    from runyard.log.records import encode

    log.write_bytes(log.read_bytes() + frame(encode([3, 1, 0.0, 0.0, {"a": 2}]))[:-4])  # a torn frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", runyard.RunyardWarning)
        run = runyard.Api().run("p/crash001")
        assert run.state == "crashed"
        run.summary["best"] = 0.5
        run.summary.update()
    again = runyard.Api().run("p/crash001")  # no torn tail left: no warning
    assert again.summary["best"] == 0.5 and again.summary["a"] == 1
    assert scan(log).torn_bytes == 0


def test_summary_edit_of_a_log_damaged_in_the_middle_keeps_every_intact_record(runs_dir: Path) -> None:
    code = "import runyard\nr = runyard.init(project='p', id='damage01')\nfor i in range(20): r.log({'i': i})\n"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    (runs_dir / "p" / "damage01" / SNAPSHOT_NAME).unlink()
    log = runs_dir / "p" / "damage01" / LOG_NAME
    data = bytearray(log.read_bytes())
    data[len(data) // 2] ^= 0xFF
    log.write_bytes(bytes(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", runyard.RunyardWarning)
        run = runyard.Api().run("p/damage01")
        before = [r["i"] for r in run.scan_history()]
        run.summary["x"] = 1
        run.summary.update()
        again = runyard.Api().run("p/damage01")
        after = [r["i"] for r in again.scan_history()]
    assert len(before) == 19 and before[-1] == 19  # one row lost to the flipped byte, not the rest
    assert after == before and again.summary["x"] == 1 and again.state == "finished"
    assert log.read_bytes()[: len(data)] == bytes(data)  # nothing before the edit was changed
    kept = list((runs_dir / "p" / "damage01" / "damaged").iterdir())
    assert len(kept) == 1 and kept[0].stat().st_size > 0
