#!/usr/bin/env python3
"""What does recording a run unasked cost? Three figures, each against the same thing switched off:

* **sampler CPU**: a worker process starts a run and sleeps for ``--seconds``; its CPU time
  (``resource.getrusage``, user + system, after ``init()``) over the wall time is the share of one
  core the run's background threads take. With system metrics on (sampling every
  ``--sample-interval`` s, 2 s by default, as shipped) against off; the difference is the sampler's
  cost (target: ≤ 1 % of one core). A second pair samples every 0.1 s for a precise cost per sample.
* **log() overhead**: ``benchmarks/log_overhead.py --libs runyard`` with ``RUNYARD_SYSTEM_METRICS``
  0 against 1, and 1 with 0.1 s sampling (an upper bound): runyard's median µs per ``log()`` call
  and points/s end-to-end, per row width.
* **init() time** with code, git and environment capture on (``save_code=True`` in a git
  repository) against off: fresh interpreters, ``runyard.sdk.lifecycle`` imported before the clock
  starts (its import is the same either way and is ``benchmarks/import_time.py``'s business), the
  first ``init()`` of the process timed; median and mean of ``--repeats`` processes.

The last printed line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

CPU_WORKER = """
import resource, sys, time, runyard
import runyard.sdk.lifecycle
seconds, on, interval = float(sys.argv[1]), sys.argv[2] == "1", float(sys.argv[3])
run = runyard.init(project="bench", dir=sys.argv[4], settings={
    "console": "off", "system_metrics": on, "capture_environment": False,
    "stats_sample_interval": interval, "stats_write_interval": max(interval, 15.0)})
time.sleep(1.0)  # let the sampler import psutil and probe once: a one-off cost, not a per-second one
r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
time.sleep(seconds)
r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
run.finish()
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(cpu, t1 - t0)
"""

INIT_WORKER = """
import sys, time, runyard
import runyard.sdk.lifecycle
on = sys.argv[1] == "1"
t = time.perf_counter()
run = runyard.init(project="bench", dir=sys.argv[2], save_code=on, settings={
    "console": "off", "system_metrics": on, "capture_environment": on})
d = time.perf_counter() - t
run.finish()
print(d)
"""


# Workers may write .pyc files (as a user's interpreter does): without them every process compiles
# the modules init() imports lazily, which is not what a user's second run pays.
WORKER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cpu_share(seconds: float, on: bool, interval: float, root: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CPU_WORKER, str(seconds), "1" if on else "0", str(interval), root],
                         capture_output=True, text=True, timeout=seconds + 120, check=True, env=WORKER_ENV)
    cpu, wall = map(float, out.stdout.split()[-2:])
    return {"cpu_s": cpu, "wall_s": wall, "percent_of_core": 100 * cpu / wall}


def init_times(repeats: int, root: str, cwd: str) -> tuple[list[float], list[float]]:
    """(capture off, capture on) times, interleaved so that a busy machine weighs on both alike."""
    times: dict[bool, list[float]] = {False: [], True: []}
    for i in range(repeats * 2 + 2):
        on = bool(i % 2)
        out = subprocess.run([sys.executable, "-c", INIT_WORKER, "1" if on else "0", root], cwd=cwd,
                             capture_output=True, text=True, timeout=120, check=True, env=WORKER_ENV)
        if i >= 2:  # the first pair warms the .pyc caches
            times[on].append(float(out.stdout.split()[-1]) * 1000)
    return times[False], times[True]


def log_overhead(env: dict[str, str], widths: str, steps: int) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / "log_overhead.py"), "--libs", "runyard", "--widths", widths,
           "--steps", str(steps), "--skip-memory"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env={**os.environ, **env}, check=True)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    return {str(r["width"]): {"median_us": r.get("median_us"), "p95_us": r.get("p95_us"),
                              "points_per_s": r.get("points_per_s")}
            for r in summary["results"] if r.get("lib") == "runyard" and "error" not in r}


def stats(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "mean": statistics.fmean(xs), "min": min(xs), "max": max(xs)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0, help="wall time of each CPU measurement (default 60)")
    p.add_argument("--sample-interval", type=float, default=2.0, help="sampling interval measured (default 2)")
    p.add_argument("--repeats", type=int, default=15, help="processes per init() figure (default 15)")
    p.add_argument("--widths", default="1,10,100", help="row widths for log_overhead.py")
    p.add_argument("--steps", type=int, default=200_000, help="steps per log_overhead.py worker")
    p.add_argument("--quick", action="store_true", help="smoke run: 5 s, 3 repeats, width 10, 20,000 steps")
    args = p.parse_args()
    if args.quick:  # explicit --seconds / --steps still win
        args.repeats, args.widths = 3, "10"
        args.seconds = args.seconds if "--seconds" in sys.argv else 5.0
        args.steps = args.steps if "--steps" in sys.argv else 20_000
    result: dict[str, Any] = {"benchmark": "system_metrics", "python": sys.version.split()[0], "quick": args.quick}
    with tempfile.TemporaryDirectory() as tmp:
        root = str(Path(tmp) / "runs")
        off = cpu_share(args.seconds, False, args.sample_interval, root)
        on = cpu_share(args.seconds, True, args.sample_interval, root)
        fast_off = cpu_share(args.seconds, False, 0.1, root)
        fast_on = cpu_share(args.seconds, True, 0.1, root)
        per_sample_ms = 1000 * (fast_on["cpu_s"] - fast_off["cpu_s"]) / (fast_on["wall_s"] / 0.1)
        result["sampler_cpu"] = {
            "interval_s": args.sample_interval, "off": off, "on": on,
            "cost_percent_of_core": on["percent_of_core"] - off["percent_of_core"],
            "at_0.1s": {"off": fast_off, "on": fast_on}, "cpu_ms_per_sample": per_sample_ms,
            "predicted_percent_at_interval": per_sample_ms / 1000 / args.sample_interval * 100,
        }
        print(f"sampler CPU, sampling every {args.sample_interval:g} s for {args.seconds:g} s: "
              f"{on['percent_of_core']:.3f} % of one core on, {off['percent_of_core']:.3f} % off "
              f"(cost {result['sampler_cpu']['cost_percent_of_core']:.3f} %; target ≤ 1 %)")
        print(f"  at 0.1 s sampling: {per_sample_ms:.3f} ms CPU per sample -> "
              f"{result['sampler_cpu']['predicted_percent_at_interval']:.4f} % of a core at {args.sample_interval:g} s")

        work = Path(tmp) / "repo"
        work.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=work, check=True)
        (work / "train.py").write_text("x = 1\n")
        subprocess.run(["git", "-c", "user.email=b@example.com", "-c", "user.name=b", "add", "."], cwd=work, check=True)
        subprocess.run(["git", "-c", "user.email=b@example.com", "-c", "user.name=b", "commit", "-qm", "c"], cwd=work,
                       check=True)
        (work / "train.py").write_text("x = 2\n")
        t_off, t_on = init_times(args.repeats, root, str(work))
        result["init_ms"] = {"capture_off": stats(t_off), "capture_on": stats(t_on),
                             "ratio_median": statistics.median(t_on) / statistics.median(t_off)}
        print(f"init(): capture on median {statistics.median(t_on):.1f} ms (mean {statistics.fmean(t_on):.1f}), "
              f"off median {statistics.median(t_off):.1f} ms (mean {statistics.fmean(t_off):.1f}); "
              f"{result['init_ms']['ratio_median']:.2f}x; target ≤ 50 ms")

    lo: dict[str, Any] = {}
    for name, env in (("off", {"RUNYARD_SYSTEM_METRICS": "0"}), ("on", {"RUNYARD_SYSTEM_METRICS": "1"}),
                      ("on_0.1s", {"RUNYARD_SYSTEM_METRICS": "1", "RUNYARD_STATS_SAMPLE_INTERVAL": "0.1",
                                   "RUNYARD_STATS_WRITE_INTERVAL": "0.5"})):
        lo[name] = log_overhead({**env, "RUNYARD_CAPTURE_ENVIRONMENT": "0"}, args.widths, args.steps)
    result["log_overhead"] = lo
    for width in lo["off"]:
        parts = []
        for name in ("off", "on", "on_0.1s"):
            r = lo[name].get(width, {})
            parts.append(f"{name} {r.get('median_us', float('nan')):.2f} µs, {r.get('points_per_s') or 0:,.0f} pts/s")
        ratio = (lo["on"].get(width, {}).get("median_us") or 0) / (lo["off"][width].get("median_us") or 1)
        print(f"log() width {width}: " + "; ".join(parts) + f"; on/off median {ratio:.2f}x")
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
