#!/usr/bin/env python3
"""How long does ``runyard ui`` take to index a folder of many runs? Per-run fixed costs.

Two folders of real run logs (written frame by frame as the SDK's writer writes them: a START
record, one ROW per step with float values under the same keys, an END record):

* ``wide``: 300 runs × 300 keys × 100 steps (9 M points): many short, wide runs;
* ``many``: 1,000 runs × 10 keys × 1,000 steps (10 M points): many narrow runs;
* ``long``: 1 run × 1 key × 2,000,000 steps: the long narrow run, for comparison (per-run costs
  are paid once here, so its rate is the floor the other two should approach).

Each folder is indexed from scratch into an empty SQLite index with ``Ingestor.ingest_all()``, what
``runyard ui`` runs at start, ``--repeat`` times (a fresh index each time); the figures are the
median and mean wall time, the CPU time of this process (steadier than wall time on a busy machine) and
points per second. ``--scale 0.1`` divides the run counts (and the
long run) by ten for a quick check. ``--before FILE`` takes the JSON line of an earlier run and
prints the ratio before / now for each folder.

The last line printed is one JSON object of every figure.

    python benchmarks/ingest_many.py
    python benchmarks/ingest_many.py --scale 0.1 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402

from runyard.log.framing import MAGIC, frame  # noqa: E402
from runyard.log.records import Kind, encode  # noqa: E402

FOLDERS = {"wide": (300, 300, 100), "many": (1000, 10, 1000), "long": (1, 1, 2_000_000)}
TARGET_S = {"wide": 5.0, "many": 5.0}


def write_folder(root: Path, runs: int, keys: int, steps: int) -> int:
    """``runs`` run logs under ``root/bench/``; returns the number of points."""
    t0 = 1.7e9
    names = [f"train/metric_{k:03d}" for k in range(keys)]
    rng = np.random.default_rng(runs * keys)
    for r in range(runs):
        run_id = f"r{r:07d}"
        folder = root / "bench" / run_id
        folder.mkdir(parents=True)
        start = {"id": run_id, "project": "bench", "name": run_id, "config": {"lr": 0.001 * (r + 1)},
                 "created_at": t0 + r, "pid": 0, "host": "bench", "pid_start": ""}
        values = rng.random((min(steps, 100_000), keys)).astype(np.float32).astype(np.float64)
        with open(folder / "run.rylog", "wb") as f:
            f.write(MAGIC + frame(encode([Kind.START, start])))
            for a in range(0, steps, 100_000):
                parts = []
                for i in range(a, min(steps, a + 100_000)):
                    row = dict(zip(names, values[i - a].tolist(), strict=True))
                    parts.append(frame(encode([Kind.ROW, i, t0 + r + i * 0.01, i * 0.01, row])))
                f.write(b"".join(parts))
            f.write(frame(encode([Kind.END, t0 + r + steps * 0.01, steps * 0.01, 0, {}])))
    return runs * keys * steps


def index_once(root: Path, work: Path) -> tuple[float, float]:
    from runyard.store import Ingestor, Store

    db = work / "index.sqlite3"
    for p in work.glob("index.sqlite3*"):
        p.unlink()
    store = Store(db)
    try:
        t, c = time.perf_counter(), time.process_time()
        Ingestor(root, store).ingest_all()
        return time.perf_counter() - t, time.process_time() - c
    finally:
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the run counts (and the long run) by this")
    ap.add_argument("--repeat", type=int, default=3, help="indexes of each folder from scratch")
    ap.add_argument("--folders", default=",".join(FOLDERS), help=f"comma list of {', '.join(FOLDERS)}")
    ap.add_argument("--before", help="a file whose last line is this script's JSON from an earlier run")
    ap.add_argument("--keep", help="write the folders here and keep them (reused when present)")
    args = ap.parse_args()
    before: dict[str, Any] = {}
    if args.before:
        before = json.loads(Path(args.before).read_text().strip().splitlines()[-1])
    figures: dict[str, Any] = {"scale": args.scale, "repeat": args.repeat}
    tmp = Path(tempfile.mkdtemp(prefix="runyard-ingest-many-"))
    try:
        for name in args.folders.split(","):
            runs, keys, steps = FOLDERS[name]
            if name == "long":
                steps = max(1, int(steps * args.scale))
            else:
                runs = max(1, int(runs * args.scale))
            base = Path(args.keep) if args.keep else tmp
            root = base / f"{name}-{runs}x{keys}x{steps}"
            points = runs * keys * steps
            if not root.is_dir():
                t = time.perf_counter()
                write_folder(root, runs, keys, steps)
                print(f"[{name}] wrote {runs:,} runs x {keys} keys x {steps:,} steps in "
                      f"{time.perf_counter() - t:.1f} s", flush=True)
            runs_ = [index_once(root, tmp) for _ in range(args.repeat)]
            times, cpus = [r[0] for r in runs_], [r[1] for r in runs_]
            med, mean, cpu = statistics.median(times), statistics.fmean(times), statistics.median(cpus)
            fig = {"runs": runs, "keys": keys, "steps": steps, "points": points, "median_s": round(med, 3),
                   "mean_s": round(mean, 3), "cpu_s": round(cpu, 3), "points_per_s": round(points / med),
                   "per_run_ms": round(med / runs * 1e3, 3)}
            line = (f"[{name}] {runs:,} runs x {keys} keys x {steps:,} steps ({points / 1e6:.1f} M points): "
                    f"median {med:.2f} s, mean {mean:.2f} s (CPU {cpu:.2f} s), {points / med:,.0f} points/s, "
                    f"{med / runs * 1e3:.1f} ms per run")
            if name in TARGET_S and args.scale == 1.0:
                line += f" (target <= {TARGET_S[name]:.0f} s)"
            old = before.get(name)
            if old:
                fig["before_median_s"] = old["median_s"]
                fig["speedup"] = round(old["median_s"] / med, 2)
                line += f"; before {old['median_s']:.2f} s, {old['median_s'] / med:.1f}x faster"
                if "cpu_s" in old:
                    fig["before_cpu_s"] = old["cpu_s"]
                    line += f" (CPU {old['cpu_s'] / cpu:.1f}x)"
            print(line, flush=True)
            figures[name] = fig
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
