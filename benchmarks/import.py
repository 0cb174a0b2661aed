"""How fast runs come in from other trackers, side by side with those trackers' own readers.

- TensorBoard: one event file of N scalar events (written with TensorBoard's protobuf classes and
  the TFRecord framing, as tensorboardX writes them). Timed: runyard's whole import (read, verify
  checksums, decode, merge by step, write the run log), wall and CPU time, against the rate of
  TensorBoard's own ``EventFileLoader`` only reading and parsing a file of the same events (a
  smaller one: it reads a million in minutes).
- wandb: one ``.wandb`` transaction log of N history rows of 10 numbers (framed as wandb-core
  writes it, records from wandb's protobuf classes). Timed: runyard's whole import. wandb ≥ 0.20 has
  no Python reader of these files (its Go core reads them only while syncing to a server), so
  there is no anchor to time offline; the figure stands alone.

    python benchmarks/import.py [--scalars 1000000] [--rows 100000]

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import struct
import tempfile
import time
import zlib
from pathlib import Path


def make_event_file(path: Path, n: int) -> None:
    from tensorboard.compat.proto import event_pb2, summary_pb2

    from runyard.importers.tfrecord import write_record

    out = bytearray()
    write_record(out, event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString())
    tags = ["train/loss", "train/acc", "val/loss", "lr"]
    for i in range(n):
        step, tag = divmod(i, len(tags))
        ev = event_pb2.Event(wall_time=1.7e9 + step * 0.01, step=step, summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag=tags[tag], simple_value=1.0 / (step + 1))]))
        write_record(out, ev.SerializeToString())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))


def make_wandb_file(path: Path, rows: int) -> None:
    from wandb.proto import wandb_internal_pb2 as pb

    from runyard.importers.leveldb_log import BLOCK, FULL, IDENT, MAGIC

    out = bytearray(IDENT + struct.pack("<HB", MAGIC, 0))

    def put(record: pb.Record) -> None:
        data = record.SerializeToString()
        first = True
        while True:
            room = BLOCK - len(out) % BLOCK
            if room < 7:
                out.extend(b"\0" * room)
                continue
            chunk, data = data[: room - 7], data[room - 7 :]
            kind = FULL if first and not data else (2 if first else (4 if not data else 3))
            out.extend(struct.pack("<IHB", zlib.crc32(bytes([kind]) + chunk), len(chunk), kind) + chunk)
            first = False
            if not data:
                return

    run = pb.Record()
    run.run.run_id, run.run.project = "bench", "bench"
    run.run.start_time.seconds = 1_700_000_000
    put(run)
    for step in range(rows):
        rec = pb.Record()
        h = rec.history
        h.step.num = step
        for key, value in [("_step", step), ("_timestamp", 1.7e9 + step), ("_runtime", step * 0.1)] + [
                (f"m{k}", 1.0 / (step + k + 1)) for k in range(10)]:
            item = h.item.add()
            item.nested_key.append(key)
            item.value_json = json.dumps(value)
        put(rec)
    path.write_bytes(bytes(out))


def bench_tensorboard(tmp: Path, n: int, anchor_n: int) -> dict[str, float]:
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    from runyard.importers.tensorboard import import_logdir

    logdir = tmp / "tb"
    make_event_file(logdir / "run" / "events.out.tfevents.1.bench", n)
    # TensorBoard's reader takes minutes for a million events: it reads a file of its own size
    anchor_file = tmp / "tb-anchor" / "events.out.tfevents.1.bench"
    make_event_file(anchor_file, min(n, anchor_n))
    t = time.perf_counter()
    count = 0
    for ev in EventFileLoader(str(anchor_file)).Load():
        count += len(ev.summary.value)
    anchor = time.perf_counter() - t
    assert count == min(n, anchor_n), count
    t, cpu = time.perf_counter(), time.process_time()
    report = import_logdir(logdir, tmp / "out-tb", project="bench")
    ours, ours_cpu = time.perf_counter() - t, time.process_time() - cpu
    assert report.points == n, (report.points, n)
    anchor_rate = count / anchor
    return {"tb_scalars": n, "tb_runyard_import_s": ours, "tb_runyard_scalars_per_s": n / ours,
            "tb_runyard_cpu_s": ours_cpu, "tb_runyard_scalars_per_cpu_s": n / ours_cpu,
            "tb_tensorboard_scalars": count, "tb_tensorboard_read_s": anchor,
            "tb_tensorboard_scalars_per_s": anchor_rate,
            "tb_ratio_runyard_vs_tensorboard_reader": (n / ours) / anchor_rate}


def bench_wandb(tmp: Path, rows: int) -> dict[str, float]:
    from runyard.importers.wandb import import_runs

    src = tmp / "wandb" / "offline-run-bench"
    src.mkdir(parents=True)
    make_wandb_file(src / "run-bench.wandb", rows)
    t = time.perf_counter()
    report = import_runs([src], tmp / "out-wandb")
    took = time.perf_counter() - t
    assert report.points == rows * 10, report.points
    return {"wandb_rows": rows, "wandb_import_s": took, "wandb_rows_per_s": rows / took,
            "wandb_points_per_s": rows * 10 / took}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scalars", type=int, default=1_000_000, help="scalar events in the TensorBoard file")
    p.add_argument("--anchor-scalars", type=int, default=50_000,
                   help="scalar events TensorBoard's own reader reads (it is slow; its rate is compared)")
    p.add_argument("--rows", type=int, default=50_000, help="history rows in the wandb file")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="runyard-import-bench-"))
    try:
        result = {**bench_tensorboard(tmp, args.scalars, args.anchor_scalars), **bench_wandb(tmp, args.rows)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"TensorBoard, {result['tb_scalars']:,} scalars: runyard import {result['tb_runyard_scalars_per_s']:,.0f}/s "
          f"wall, {result['tb_runyard_scalars_per_cpu_s']:,.0f}/s of CPU time (whole import: read, verify, "
          f"decode, merge by step, write the run log); TensorBoard's EventFileLoader "
          f"{result['tb_tensorboard_scalars_per_s']:,.0f}/s (read only, {result['tb_tensorboard_scalars']:,} scalars); "
          f"ratio {result['tb_ratio_runyard_vs_tensorboard_reader']:.1f}x")
    print(f"wandb, {result['wandb_rows']:,} rows x 10 numbers: runyard import {result['wandb_rows_per_s']:,.0f} "
          f"rows/s ({result['wandb_points_per_s']:,.0f} points/s); no offline anchor (wandb reads .wandb files "
          "only in its Go core)")
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}))


if __name__ == "__main__":
    main()
