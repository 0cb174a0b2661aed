#!/usr/bin/env python3
"""Does online mode cost ``log()`` anything? The same workload offline and online, side by side.

Setup: one ``runyard server`` process (uvicorn, on loopback) on PostgreSQL (127.0.0.1:5432,
database ``test``, a fresh schema dropped at the end) with a user and its key. For each width
(``--widths``, default 1 and 10) and each of ``--repeat`` rounds, ``benchmarks/log_overhead.py``'s
runyard worker logs ``--steps`` rows of that many floats offline, then online
(``RUNYARD_MODE=online`` with the server's address and key: the sender streams the run while it
logs). Offline and online alternate, so drift on a shared machine hits both.

Reported per run: the median, mean and p95 of one ``log()`` call (the worker's figures), points
per second from the first ``log()`` to ``finish()`` returning (online, ``finish()`` waits until the
server has acknowledged the whole log, so this figure includes the server's ingest), and how long
``finish()`` took. After the runs, the points the server indexed are counted against the points
logged online. The last line is one JSON object.

    python benchmarks/online_overhead.py
    python benchmarks/online_overhead.py --steps 30000 --repeat 1     # a quick look
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

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from runyard.store.fixtures import postgres_url  # noqa: E402
from team_cluster import ServerProcess, team_store  # noqa: E402

sys.path.insert(0, str(HERE))
from log_overhead import RESULT_PREFIX  # noqa: E402  (the worker's result line)


def worker(width: int, steps: int, env: dict[str, str]) -> dict[str, Any]:
    """One run of log_overhead.py's runyard worker; its result, or ``{"error": ...}``."""
    folder = tempfile.mkdtemp(prefix="runyard-online-bench-")
    try:
        proc = subprocess.run([sys.executable, str(HERE / "log_overhead.py"), "--worker", "runyard", "--width",
                               str(width), "--steps", str(steps), "--dir", folder + "/run", "--max-seconds", "60"],
                              capture_output=True, text=True, env=env, timeout=600)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 600 s"}
    finally:
        subprocess.run(["rm", "-rf", folder], check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        return {"error": (proc.stderr.strip().splitlines() or ["no result"])[-1]}
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX):])
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--widths", default="1,10", help="comma list of row widths")
    ap.add_argument("--steps", type=int, default=300_000, help="rows per run")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of offline then online")
    args = ap.parse_args(argv)
    url = postgres_url()
    if url is None:
        sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test')")
    widths = [int(w) for w in args.widths.split(",")]
    store, schema, key = team_store(url, "bench")
    tmp = Path(tempfile.mkdtemp(prefix="runyard-online-bench-server-"))
    server = ServerProcess(["--db", url, "--db-schema", schema, "--blobs", str(tmp / "blobs")],
                           {"RUNYARD_LOG_LEVEL": "error"}, tmp / "server.log")
    runs: list[dict[str, Any]] = []
    online_points = indexed = 0
    try:
        server.launch()
        server.wait_ready(120)
        offline_env = {k: v for k, v in os.environ.items() if k not in ("RUNYARD_MODE", "WANDB_MODE")}
        online_env = {**offline_env, "RUNYARD_MODE": "online", "RUNYARD_BASE_URL": server.url,
                      "RUNYARD_API_KEY": key}
        print(f"log() offline and online, {args.steps:,} rows a run, one server on PostgreSQL ({server.url})")
        for _ in range(args.repeat):
            for width in widths:
                for mode, env in (("offline", offline_env), ("online", online_env)):
                    r = worker(width, args.steps, env)
                    r.update(mode=mode, width=width)
                    runs.append(r)
                    if "error" in r:
                        print(f"  width {width:>3} {mode:>7}: FAILED: {r['error']}", flush=True)
                        continue
                    if mode == "online":
                        online_points += r["points"]
                    print(f"  width {width:>3} {mode:>7}: median {r['median_us']:.3f} µs, mean {r['mean_us']:.3f} µs, "
                          f"p95 {r['p95_us']:.3f} µs; {r['points_per_s']:,.0f} points/s, finish() "
                          f"{r['finish_s']:.2f} s", flush=True)
        with store.read() as conn:
            indexed = int(conn.execute(sa.text("SELECT coalesce(sum(n), 0) FROM series "
                                               "WHERE key NOT LIKE 'system/%'")).scalar() or 0)
    finally:
        server.stop()
        store.drop_schema()
        store.close()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)

    summary: dict[str, Any] = {}
    print()
    for width in widths:
        row: dict[str, Any] = {}
        for mode in ("offline", "online"):
            ok = [r for r in runs if r["width"] == width and r["mode"] == mode and "error" not in r]
            if ok:
                row[mode] = {f: statistics.median(r[f] for r in ok) for f in ("median_us", "mean_us", "p95_us",
                                                                              "points_per_s", "finish_s")}
        if "offline" in row and "online" in row:
            row["online_over_offline"] = {f: row["online"][f] / row["offline"][f]
                                          for f in ("median_us", "mean_us", "p95_us")}
            x = row["online_over_offline"]
            print(f"width {width}: online / offline, medians of the runs: log() median {x['median_us']:.2f}×, "
                  f"mean {x['mean_us']:.2f}×, p95 {x['p95_us']:.2f}×")
        summary[str(width)] = row
    print(f"points logged online: {online_points:,}; indexed by the server: {indexed:,}")
    print(json.dumps({"benchmark": "online_overhead", "steps": args.steps, "widths": summary,
                      "online_points": online_points, "indexed_points": indexed, "runs": runs},
                     separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
