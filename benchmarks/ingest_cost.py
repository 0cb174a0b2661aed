#!/usr/bin/env python3
"""What a batch costs the team server's ingest: a fixed part per batch and a part per point.

``server_load.py`` measures the whole system (servers, PostgreSQL and the load generator sharing
the cores), which says *whether* the servers keep up but is too noisy to tell a 10% change in
the ingest apart. This replays the same batches (``server_load.SimRun``: 100 metrics at 10 steps
a second, rows as the SDK's writer encodes them) through ``GroupIngest.apply`` in this process,
against PostgreSQL (127.0.0.1:5432, database ``test``, a schema of its own, dropped after), with
nothing else running: groups of ``--group`` batches of different runs in one transaction, as a
loaded server process forms them.

Side by side, for batch cycles of ``--cycles`` seconds (a run's sender sends what became durable
since its last request, so the cycle sets the points in a batch): wall time and CPU per batch, of
this process and of PostgreSQL's processes. A least-squares line through them gives the fixed
cost of a batch and the cost of a point. What that implies for ``server_load.py``'s goal is
printed last: a run's batch cycle is about its log->visible latency, and the CPU a second of
``--runs`` runs needs at a cycle ``T`` is ``runs / T * fixed + points/s * per point``, so the
shortest cycle ``--cores`` cores allow is ``runs * fixed / (cores - points/s * per point)``.
That is a floor from this replay alone (it leaves out HTTP, the load generator and queueing),
not a measurement of latency. The first cycle (which creates the runs) is not timed. The last
printed line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_load import SimRun, cpu_of, postgres_procs, team_store  # noqa: E402

from runyard.store.fixtures import postgres_url  # noqa: E402
from runyard.store.online import GroupIngest, _Pending  # noqa: E402

METRICS, STEPS_PER_S, FSYNC = 100, 10.0, 0.2


def replay(url: str, runs: int, cycle: float, rounds: int, group: int, config_keys: int = 0) -> dict[str, Any]:
    """Ingest ``rounds + 1`` cycles of batches of ``runs`` runs; time all but the first.
    ``config_keys``: values in each run's config (hyperparameters, set once at the start)."""
    store, _, _ = team_store(url, "bench")
    try:
        ingest = GroupIngest(store, workers=0)
        t0 = 1000.0
        config = {f"hp{k:02d}": k * 0.5 for k in range(config_keys)}
        sims = [SimRun(i, "cost", METRICS, 1 / STEPS_PER_S, FSYNC, t0, 1.7e9, config) for i in range(runs)]
        cycles = []
        for c in range(1, rounds + 2):
            batches = []
            for sim in sims:
                sim.advance(t0 + c * cycle, t0 + 1e9)
                batches.append((sim, sim.acked, bytes(sim.buf[sim.acked : sim.durable])))
                sim.acked = sim.durable
            cycles.append(batches)
        me, pg = psutil.Process(), postgres_procs()
        points = 0
        for i, batches in enumerate(cycles):
            if i == 1:
                wall0, cpu0, pg0 = time.perf_counter(), me.cpu_times(), cpu_of(pg)
            for j in range(0, len(batches), group):
                pending = [_Pending("cost", sim.run_id, "bench", start, data, sim.head, Future())
                           for sim, start, data in batches[j : j + group]]
                ingest.apply(pending)
                got = sum(p.future.result().points for p in pending)
                points += got if i else 0
        wall, cpu1 = time.perf_counter() - wall0, me.cpu_times()
        cpu = cpu1.user + cpu1.system - cpu0.user - cpu0.system
        pg_cpu = cpu_of(pg) - pg0
        n = runs * rounds
        return {"cycle_s": cycle, "batches": n, "points_per_batch": round(points / n, 1),
                "wall_ms_per_batch": round(wall / n * 1e3, 3), "cpu_ms_per_batch": round(cpu / n * 1e3, 3),
                "postgres_cpu_ms_per_batch": round(pg_cpu / n * 1e3, 3),
                "cpu_us_per_point": round((cpu + pg_cpu) / points * 1e6, 3), "together": ingest.together,
                "alone": ingest.alone}
    finally:
        store.drop_schema()
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch-runs", type=int, default=200, help="runs replayed (each sends one batch a cycle)")
    ap.add_argument("--cycles", default="0.5,1.5,4.5", help="batch cycles to compare, in seconds")
    ap.add_argument("--rounds", type=int, default=5, help="timed cycles of each")
    ap.add_argument("--group", type=int, default=16, help="batches applied in one transaction")
    ap.add_argument("--runs", type=int, default=1000, help="runs of the goal the floor is computed for")
    ap.add_argument("--cores", type=float, default=2.0, help="cores of the goal's machine")
    ap.add_argument("--config-keys", type=int, default=0, help="values in each run's config")
    ap.add_argument("--quick", action="store_true", help="a small run for the smoke test")
    args = ap.parse_args()
    if args.quick:
        args.batch_runs, args.rounds, args.cycles = 20, 2, "0.5,2.0"
    url = postgres_url()
    if url is None:
        sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test')")
    rows = []
    print(f"{'cycle s':>8} {'points/batch':>13} {'wall ms/batch':>14} {'cpu ms/batch':>13} {'PG cpu ms':>10} "
          f"{'cpu us/point':>13}")
    for cycle in (float(c) for c in args.cycles.split(",")):
        r = replay(url, args.batch_runs, cycle, args.rounds, args.group, args.config_keys)
        rows.append(r)
        print(f"{r['cycle_s']:>8} {r['points_per_batch']:>13,} {r['wall_ms_per_batch']:>14} "
              f"{r['cpu_ms_per_batch']:>13} {r['postgres_cpu_ms_per_batch']:>10} {r['cpu_us_per_point']:>13}",
              flush=True)
    result: dict[str, Any] = {"benchmark": "ingest_cost", "batch_runs": args.batch_runs, "group": args.group,
                              "config_keys": args.config_keys, "rows": rows}
    if len({r["points_per_batch"] for r in rows}) < 2:
        result.update(fixed_ms_per_batch=None, us_per_point=None, floor_cycle_s=None)
        print("one batch size: no split into a fixed cost and a cost per point (give two or more --cycles)")
        print(json.dumps(result))
        return
    x = np.array([r["points_per_batch"] for r in rows])
    y = np.array([r["cpu_ms_per_batch"] + r["postgres_cpu_ms_per_batch"] for r in rows])
    per_point_ms, fixed_ms = np.polyfit(x, y, 1)
    result.update(fixed_ms_per_batch=round(float(fixed_ms), 3), us_per_point=round(float(per_point_ms) * 1e3, 3))
    offered = args.runs * METRICS * STEPS_PER_S
    left = args.cores - offered * per_point_ms / 1e3
    print(f"CPU (this process + PostgreSQL) = {fixed_ms:.3f} ms a batch + {per_point_ms * 1e3:.3f} us a point")
    if left > 0 and fixed_ms > 0:
        floor = args.runs * fixed_ms / 1e3 / left
        result["floor_cycle_s"] = round(float(floor), 3)
        print(f"{args.runs:,} runs ({offered:,.0f} points/s) on {args.cores:g} cores: the points take "
              f"{offered * per_point_ms / 1e3:.2f} cores, so a run can send at best every {floor:.2f} s "
              "(its log->visible floor, before HTTP, the load generator and queueing)")
    else:
        result["floor_cycle_s"] = None
        print(f"{args.runs:,} runs ({offered:,.0f} points/s) on {args.cores:g} cores: the points alone take "
              f"{offered * per_point_ms / 1e3:.2f} cores; no batch cycle keeps up")
    print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("RUNYARD_SYSTEM_METRICS", "false")
    main()
