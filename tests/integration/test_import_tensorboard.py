"""``runyard import tensorboard``: event files written by tensorboardX (and TF2-style plugin tensors
made with TensorBoard's own helpers) read back from runyard with every point, NaN and ±inf exact."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorboard", reason="needs the import-tensorboard extra (pip install 'runyard[import-tensorboard]')")
tensorboardX = pytest.importorskip("tensorboardX", reason="the test writes event files with tensorboardX")

import runyard  # noqa: E402
from runyard.importers.report import ImportReport  # noqa: E402
from runyard.importers.tensorboard import import_logdir  # noqa: E402
from runyard.importers.tfrecord import write_record  # noqa: E402

STEPS = 40
SPECIAL = {3: math.nan, 4: math.inf, 5: -math.inf}


def _loss(i: int) -> float:
    return SPECIAL.get(i, 1.0 / (i + 1))


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tb")
    rng = np.random.default_rng(0)
    for name in ("a", "nested/b"):
        w = tensorboardX.SummaryWriter(str(root / name))
        for i in range(STEPS):
            w.add_scalar("train/loss", _loss(i), i)
            w.add_scalar("val/acc", i / STEPS, i)
            if i % 10 == 0:
                w.add_histogram("weights", rng.normal(size=500), i)
                w.add_image("sample", rng.random((3, 8, 8)), i)
                w.add_audio("clip", np.sin(np.linspace(0, 50, 4000)).reshape(-1, 1), i, sample_rate=8000)
                w.add_text("note", f"step {i}", i)
        w.close()
    return root


def _tf2_scalar_events(path: Path) -> None:
    """TF2's summary API writes scalars as 'scalars' plugin tensors, metadata on the first event only."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.util import tensor_util

    out = bytearray()
    out_event = event_pb2.Event(wall_time=1_700_000_000.0, file_version="brain.Event:2")
    write_record(out, out_event.SerializeToString())
    for step in range(5):
        value = summary_pb2.Summary.Value(tag="tf2/x", tensor=tensor_util.make_tensor_proto(np.float32(step * 0.5)))
        if step == 0:
            value.metadata.plugin_data.plugin_name = "scalars"
        ev = event_pb2.Event(wall_time=1_700_000_000.0 + step, step=step, summary=summary_pb2.Summary(value=[value]))
        write_record(out, ev.SerializeToString())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))


def _eq(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_every_point_and_media_arrives(logdir: Path, tmp_path: Path) -> None:
    report = import_logdir(logdir, tmp_path, project="tb")
    assert report.runs == 2 and not report.errors
    api = runyard.Api(root=tmp_path)
    runs = {r.name: r for r in api.runs("tb")}
    assert set(runs) == {"a", "nested/b"}
    for run in runs.values():
        assert run.state == "finished"
        rows = list(run.scan_history())
        assert [r["_step"] for r in rows] == list(range(STEPS))
        for r in rows:
            i = r["_step"]
            # TensorBoard keeps float32: every value arrives exactly as the event file holds it
            assert _eq(r["train/loss"], float(np.float32(_loss(i)))), (i, r["train/loss"])
            assert r["val/acc"] == float(np.float32(i / STEPS))
        media_rows = [r for r in rows if "sample" in r]
        assert len(media_rows) == STEPS // 10
        first = media_rows[0]
        assert first["sample"].to_pil().size == (8, 8)
        assert first["clip"].path.read_bytes()[:4] == b"RIFF"
        assert first["note/text_summary"] == "step 0"  # the tag tensorboardX gives text
        assert sum(first["weights"].values) == 500  # every sample of the histogram kept
    # the source counted on its side: 2 scalars per step per run
    assert report.points >= 2 * STEPS * 2


def test_tf2_plugin_tensors(tmp_path: Path) -> None:
    src = tmp_path / "logs"
    _tf2_scalar_events(src / "run1" / "events.out.tfevents.1.host")
    report = import_logdir(src, tmp_path / "out", project="tf2")
    run = runyard.Api(root=tmp_path / "out").runs("tf2")[0]
    assert [r["tf2/x"] for r in run.scan_history()] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert not report.unmapped


def test_import_twice_duplicates_nothing_and_a_killed_import_stays_invisible(logdir: Path, tmp_path: Path) -> None:
    stale = tmp_path / ".importing" / "tb" / "zzzz"
    stale.mkdir(parents=True)
    (stale / "run.rylog").write_bytes(b"half an import")
    first = import_logdir(logdir, tmp_path, project="tb")
    second = import_logdir(logdir, tmp_path, project="tb")
    assert (first.runs, second.runs, second.skipped) == (2, 0, 2)
    assert len(runyard.Api(root=tmp_path).runs("tb")) == 2
    forced = import_logdir(logdir, tmp_path, project="tb", force=True)
    assert forced.runs == 2 and len(runyard.Api(root=tmp_path).runs("tb")) == 2


def test_damaged_file_is_reported_and_the_other_runs_import(logdir: Path, tmp_path: Path) -> None:
    import shutil

    src = tmp_path / "src"
    shutil.copytree(logdir, src)
    event = next((src / "a").glob("events.out.tfevents.*"))
    data = bytearray(event.read_bytes())
    data[200] ^= 0xFF
    event.write_bytes(bytes(data))
    report = ImportReport()
    import_logdir(src, tmp_path / "out", project="tb", report=report)
    assert report.runs == 1
    assert any("checksum" in e and "a" in e for e in report.errors)
    assert [r.name for r in runyard.Api(root=tmp_path / "out").runs("tb")] == ["nested/b"]


def test_cli(logdir: Path, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "runyard", "import", "tensorboard", str(logdir), "--dir", str(tmp_path), "-p", "tb"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "imported 2 run(s)" in done.stdout
    missing = subprocess.run([*cmd[:5], str(tmp_path / "nope")], capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "does not exist" in missing.stderr
