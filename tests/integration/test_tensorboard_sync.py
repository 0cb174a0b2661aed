"""``init(sync_tensorboard=True)`` / ``runyard.tensorboard.patch()``: what real TensorBoard writers
(tensorboardX, PyTorch's) write reaches the run while it trains and at finish
(docs/wandb-compat.md, "TensorBoard")."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import runyard
from runyard.types.views import HistogramView

tensorboardX = pytest.importorskip("tensorboardX", reason="the dev extra is not installed")
pytest.importorskip("tensorboard", reason="the import-tensorboard extra is not installed")


@pytest.fixture(autouse=True)
def _unpatched(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from runyard.integrations import tensorboard as tb

    monkeypatch.setattr(tb, "POLL", 0.1)
    yield
    tb.unpatch()


def history(runs_dir: Path, project: str, run_id: str) -> list[dict]:
    return list(runyard.Api(runs_dir).run(f"{project}/{run_id}").scan_history())


def test_scalars_histograms_and_text_reach_the_run_with_their_step(runs_dir: Path, tmp_path: Path) -> None:
    run = runyard.init(project="tb", sync_tensorboard=True)
    writer = tensorboardX.SummaryWriter(str(tmp_path / "tb" / "exp1"))
    for i in range(30):
        writer.add_scalar("train/loss", 1.0 / (i + 1), i * 10)
        if i % 10 == 0:
            writer.add_histogram("weights", np.arange(100, dtype=float) + i, i * 10)
    writer.add_text("notes", "hello", 0)
    run.log({"custom": 1.0})  # the script's own keys go on beside
    run.finish()  # the writer was never flushed nor closed: finish flushes it
    rows = history(runs_dir, "tb", run.id)
    loss = [(r["global_step"], r["train/loss"]) for r in rows if "train/loss" in r]
    assert loss == [(i * 10, pytest.approx(1.0 / (i + 1))) for i in range(30)]
    hist = [r["global_step"] for r in rows if isinstance(r.get("weights"), HistogramView)]
    assert hist == [0, 100, 200]
    assert [r["notes/text_summary"] for r in rows if "notes/text_summary" in r] == ["hello"]  # tensorboardX's tag
    assert sum("custom" in r for r in rows) == 1
    # global_step is the step metric of what TensorBoard brought, the event file is kept with the run
    from runyard.server import create_app
    from runyard.server.testing import InProcessClient

    with InProcessClient(create_app(runs_dir, follow=False)) as client:
        metrics = {m["name"]: m["step_metric"] for m in client.get("/api/projects/tb/metrics").json()["metrics"]}
    assert metrics["train/loss"] == metrics["weights"] == "global_step"
    saved = list((Path(run.dir) / "files" / "tensorboard").rglob("events.out.tfevents.*"))
    assert [p.parent.name for p in saved] == ["exp1"]
    assert saved[0].read_bytes() == next((tmp_path / "tb" / "exp1").glob("events.*")).read_bytes()


def test_events_reach_the_run_while_it_trains(runs_dir: Path, tmp_path: Path) -> None:
    run = runyard.init(project="tb", sync_tensorboard=True)
    writer = tensorboardX.SummaryWriter(str(tmp_path / "live"), flush_secs=1)  # on disk within a second
    for i in range(5):
        writer.add_scalar("loss", float(i), i)
    seen: list[float] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(seen) < 5:  # the sync thread reads every POLL seconds
        time.sleep(0.1)
        seen = [r["loss"] for r in history(runs_dir, "tb", run.id) if "loss" in r]
    assert seen == [0.0, 1.0, 2.0, 3.0, 4.0]
    writer.add_scalar("loss", 5.0, 5)
    writer.close()
    run.finish()
    assert [r["loss"] for r in history(runs_dir, "tb", run.id) if "loss" in r] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_root_logdir_finds_writers_it_never_hooked_and_prefixes_their_folders(runs_dir: Path, tmp_path: Path) -> None:
    """Keras writes ``train/`` and ``validation/`` through tf.summary, which is not hooked (here
    TensorBoard's own EventFileWriter, which nothing hooks either): the root finds them, and each
    folder's keys carry its name. A second run of the process takes only what was written after
    the first."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    def scalar(writer: EventFileWriter, value: float, step: int) -> None:
        writer.add_event(Event(step=step, wall_time=time.time(),
                               summary=Summary(value=[Summary.Value(tag="epoch_loss", simple_value=value)])))
        writer.flush()  # blocks until the event is in the file

    root = tmp_path / "logs"
    writers = {name: EventFileWriter(str(root / name)) for name in ("train", "validation")}
    runyard.tensorboard.patch(root_logdir=str(root))
    first = runyard.init(project="tb")  # patched before init: synced without the argument
    for name, w in writers.items():
        scalar(w, 1.0 if name == "train" else 2.0, 0)
    first.finish()
    second = runyard.init(project="tb")
    for w in writers.values():
        scalar(w, 0.5, 1)
        w.close()
    second.finish()
    rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in history(runs_dir, "tb", first.id)]
    assert sorted(rows, key=str) == [{"global_step": 0, "train/epoch_loss": 1.0},
                                     {"global_step": 0, "validation/epoch_loss": 2.0}]
    later = [{k: v for k, v in r.items() if not k.startswith("_")} for r in history(runs_dir, "tb", second.id)]
    assert sorted(later, key=str) == [{"global_step": 1, "train/epoch_loss": 0.5},
                                      {"global_step": 1, "validation/epoch_loss": 0.5}]


def test_writers_imported_after_the_patch_through_the_alias(tmp_path: Path) -> None:
    """wandb's way, in a fresh process: ``wandb.tensorboard.patch()`` before TensorBoard's writer
    module is imported at all, then PyTorch's ``SummaryWriter`` (when torch is here) and
    tensorboardX's, each hooked as it is imported."""
    script = textwrap.dedent(f"""
        import sys
        import wandb
        assert "tensorboardX" not in sys.modules
        wandb.tensorboard.patch()
        run = wandb.init(project="tb")
        from tensorboardX import SummaryWriter
        w = SummaryWriter({str(tmp_path / "x")!r})
        w.add_scalar("x_loss", 0.25, 3)
        try:
            from torch.utils.tensorboard import SummaryWriter as TorchWriter
        except ImportError:
            torch = False
        else:
            torch = True
            TorchWriter({str(tmp_path / "t")!r}).add_scalar("t_loss", 0.5, 4)
        run.finish()
        rows = list(wandb.Api().run(f"tb/{{run.id}}").scan_history())
        got = {{k: (r[k], r["global_step"]) for r in rows for k in ("x/x_loss", "t/t_loss", "x_loss") if k in r}}
        print(torch, sorted(got.items()))
    """)
    env = {**os.environ, "RUNYARD_AS_WANDB": "1", "RUNYARD_DIR": str(tmp_path / "runs")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=240,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    torch, _, got = done.stdout.strip().partition(" ")
    if torch == "True":  # two writers, two folders under tmp_path: each key under its folder's name
        assert got == "[('t/t_loss', (0.5, 4)), ('x/x_loss', (0.25, 3))]"
    else:
        assert got == "[('x_loss', (0.25, 3))]"


def test_a_damaged_event_file_is_said_once_and_what_came_before_is_kept(
        runs_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    from runyard.importers.tfrecord import write_record

    def event(value: float, step: int) -> bytes:
        return Event(step=step, wall_time=1.0, summary=Summary(value=[Summary.Value(tag="loss", simple_value=value)])
                     ).SerializeToString()

    root = tmp_path / "logs"
    root.mkdir()
    data = bytearray()
    write_record(data, event(0.5, 0))
    write_record(data, event(0.25, 1))
    data += b"\x07" * 12 + event(9.0, 2)  # a header whose length checksum does not hold, then more
    (root / "events.out.tfevents.1.host").write_bytes(bytes(data))
    runyard.tensorboard.patch(root_logdir=str(root), save=False)
    run = runyard.init(project="tb")
    run.log({"acc": 1.0})
    run.finish()
    rows = history(runs_dir, "tb", run.id)
    assert [(r["global_step"], r["loss"]) for r in rows if "loss" in r] == [(0, 0.5), (1, 0.25)]
    assert [r["acc"] for r in rows if "acc" in r] == [1.0]
    err = capfd.readouterr().err
    assert err.count("is damaged") == 1 and f"the record at byte {len(data) - 12 - len(event(9.0, 2))}" in err
    assert not (Path(run.dir) / "files" / "tensorboard").exists()  # save=False
