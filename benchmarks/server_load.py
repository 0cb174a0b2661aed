#!/usr/bin/env python3
"""Team-server ingest under many concurrent runs, and a 1M-point chart through the team server.

Setup: two ``runyard server`` processes (``--servers``; real subprocesses, uvicorn, on loopback) against one
PostgreSQL (127.0.0.1:5432, database ``test``, a fresh schema) and one blob folder. The servers
share this machine's cores as ``runyard server --workers N`` processes do, so each gets the ingest
threads ``--workers N`` would give it (``team_cli.default_ingest_threads``: one each for two).

Load: ``--runs`` simulated online runs (asyncio tasks in this process, on a small HTTP/1.1 client
of their own), each logging ``--metrics`` numbers per step at ``--steps-per-s`` steps per second
for ``--seconds`` seconds. A simulated run does what the SDK does, minus the local file
(``SimRun``): its rows are encoded as the writer encodes them (a row alone is one ROW record,
rows due within one writer nap one columnar ROWS record; at 10 steps/s every row is alone), they
are durable at the writer's fsync ticks (``--fsync-interval``, default the SDK's
``online_fsync_interval``), and its sender, woken by each fsync, posts what is durable past its
last acknowledged offset to ``POST /api/ingest`` (at most 4 MB of whole frames), one request at a
time, sending again at once when more became durable meanwhile. Requests go round the server
processes; at most ``--in-flight`` are in the air at once (bounded clients).
Reported:

* points/s ingested: points in the index after the load (``series.n``) / wall time of the load
  phase, beside the points offered;
* log→visible latency per batch: from the moment its oldest row was logged to the moment the
  server acknowledged it (the batch is indexed and readable in that same transaction — checked by
  reading ``last_step`` back through the API for a sample of runs); p50, p99, mean. This includes
  the wait for the writer's fsync, as a real client's does;
* CPU seconds of the server processes, of PostgreSQL's processes and of this client process over
  the load phase, to say what bounds the ceiling.

Chart query: one run of ``--chart-points`` points (default 1,000,000) of one key is ingested
through the same route, then ``GET /api/runs/.../series?max_points=1000`` (whole range) is
timed ``--repeat`` times: the server's own ``elapsed_ms`` and the client's round trip.

The MLflow anchor (``mlflow_anchor.py``): the same workload through ``mlflow server`` on the same
PostgreSQL (its own schema, 2 workers), clients calling ``MlflowClient.log_batch``, run after our
servers are stopped and bounded in time (``--mlflow-drain``); printed beside ours as ratios of
points/s and of CPU per point. ``--no-mlflow`` (and ``--quick``) leave it out. The last printed
line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from runyard.log.framing import MAGIC, frame  # noqa: E402
from runyard.log.records import Kind, encode  # noqa: E402
from runyard.log.rowblock import RowsBlock, rows_record  # noqa: E402
from runyard.sdk.sender import BACKOFF_CAP, BACKOFF_FIRST, MAX_BATCH  # noqa: E402
from runyard.server.team_cli import default_ingest_threads  # noqa: E402
from runyard.settings import SETTINGS  # noqa: E402
from runyard.store import schema as s_schema  # noqa: E402
from runyard.store.fixtures import postgres_url  # noqa: E402
from team_cluster import ServerProcess, team_store  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mlflow_anchor import run_mlflow_anchor  # noqa: E402


def setting_default(name: str) -> object:
    return next(st.default for st in SETTINGS if st.name == name)


def start_record(run_id: str, project: str, config: dict[str, Any] | None = None) -> list[Any]:
    return [Kind.START, {"id": run_id, "project": project, "entity": "bench", "name": run_id, "config": config or {},
                         "tags": [], "group": None, "job_type": None, "notes": None, "metadata": {},
                         "created_at": time.time(), "pid": 1, "host": "simulated-client", "pid_start": ""}]


WRITER_NAP = 0.02  # sdk/writer.py: rows queued within one nap of the writer's are written as one block


class SimRun:
    """One simulated online run: its run log as the SDK's writer would write it, made durable at the
    writer's fsync ticks, and the sender's acknowledged offset.

    Rows are materialised lazily (``advance``), each with the time it was due: a row due alone is
    one ROW record (the writer takes a block of one row as a ROW, which is what 10 steps/s gives);
    rows due within one writer nap of each other form one columnar ROWS record, as the writer
    encodes a ``FloatRows`` block. The log is durable up to the last fsync tick (every
    ``fsync_interval`` from the run's own phase), which is where the SDK's sender may read to."""

    def __init__(self, i: int, project: str, metrics: int, period: float, fsync: float, start: float,
                 wall0: float, config: dict[str, Any] | None = None) -> None:
        self.run_id = f"sim{i:05d}"
        self.project = project
        self.keys = [f"m{k:03d}" for k in range(metrics)]
        self.columns = np.arange(metrics, dtype=np.float64)
        self.buf = bytearray(MAGIC + frame(encode(start_record(self.run_id, project, config))))
        self.head = bytes(self.buf[:16])
        self.acked = 0
        self.durable = len(self.buf)
        self.logged: list[float] = []  # wall time each row was logged
        self.row_ends: list[int] = []  # the log offset after each row's record
        self.rows_acked = 0  # rows the server acknowledged
        self.step = 0
        self.period, self.fsync = period, fsync
        self.next_row = start + (i % 97) / 97 * period  # spread the runs over one period
        self.first_tick = start + (i % 89) / 89 * fsync
        self.start, self.wall0 = start, wall0

    def tick_at_or_before(self, t: float) -> float:
        return self.first_tick + max(0, int((t - self.first_tick) // self.fsync)) * self.fsync

    def next_tick(self, t: float) -> float:
        return self.first_tick + (int((t - self.first_tick) // self.fsync) + 1) * self.fsync if t >= self.first_tick \
            else self.first_tick

    def _rows(self, upto: float, deadline: float) -> None:
        """Write the rows due before ``upto`` (monotonic), grouped as the writer would."""
        while self.next_row <= upto and self.next_row < deadline:
            t0 = self.next_row
            steps, times = [], []
            while self.next_row <= upto and self.next_row < deadline and self.next_row - t0 <= WRITER_NAP:
                steps.append(self.step)
                times.append(self.wall0 + (self.next_row - self.start))
                self.step += 1
                self.next_row += self.period
            # value j of step s is s * 0.001 + j, computed as numpy arrays (the same float64 operations
            # as in Python, with no Python step per value: this process shares the cores with the servers)
            values = np.array(steps, np.float64)[:, None] * 0.001 + self.columns
            if len(steps) == 1:
                record = [Kind.ROW, steps[0], times[0], 0.0, dict(zip(self.keys, values[0].tolist(), strict=True))]
            else:
                ts = np.array(times, np.float64)
                record = rows_record(RowsBlock(self.keys, np.array(steps, np.int64), ts, ts - self.wall0, values))
            self.buf += frame(encode(record))
            self.logged.extend(times)
            self.row_ends.extend([len(self.buf)] * len(times))

    def advance(self, now: float, deadline: float) -> None:
        """Bring the log and its durable end up to ``now``: rows up to the last fsync tick are durable
        (the writer fsyncs at its ticks, and at ``finish`` once logging ends)."""
        tick = deadline if now >= deadline else self.tick_at_or_before(now)
        if tick < self.first_tick:
            return
        self._rows(tick, deadline)
        self.durable = len(self.buf)


class Http:
    """A small HTTP/1.1 client over kept-alive asyncio connections: the load generator shares the
    machine's 2 cores with the servers, so it spends as little CPU per request as it can."""

    def __init__(self, url: str, size: int) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.pool: asyncio.LifoQueue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = asyncio.LifoQueue()
        for _ in range(size):
            self.pool.put_nowait(None)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            return await self._post(path, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):  # a kept-alive connection the server closed
            return await self._post(path, body, headers)

    async def _post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        conn = await self.pool.get()
        try:
            if conn is None:
                conn = await asyncio.open_connection(self.host, self.port)
            reader, writer = conn
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{head}Content-Length: {len(body)}\r\n\r\n"
                         .encode() + body)
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionError("the server closed the connection")
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            data = await reader.readexactly(length)
            result = int(status_line.split()[1]), json.loads(data) if data else {}
        except BaseException:
            if conn is not None:
                conn[1].close()
            self.pool.put_nowait(None)
            raise
        self.pool.put_nowait(conn)
        return result

    async def close(self) -> None:
        while not self.pool.empty():
            conn = self.pool.get_nowait()
            if conn is not None:
                conn[1].close()


async def run_load(urls: list[str], key: str, args: argparse.Namespace) -> dict[str, Any]:
    start = time.monotonic()
    wall0 = time.time()
    deadline = start + args.seconds
    runs = [SimRun(i, "load", args.metrics, 1.0 / args.steps_per_s, args.fsync_interval, start, wall0)
            for i in range(args.runs)]
    sem = asyncio.Semaphore(args.in_flight)
    latencies: list[tuple[float, float]] = []  # (monotonic time acknowledged, log->visible) per batch
    round_trips: list[float] = []  # of those batches: request sent -> acknowledged
    acks: list[tuple[float, int]] = []  # (monotonic time, points) of each acknowledgment
    accepted = 0
    errors: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/octet-stream"}
    clients = [Http(u, args.in_flight) for u in urls]
    give_up = deadline + args.drain
    unacknowledged: list[str] = []

    def failed(what: str, detail: str) -> None:
        errors[what] = errors.get(what, 0) + 1
        if errors[what] == 1:  # say at once what went wrong, not only in the last line
            print(f"  [load] {what}: {detail[:300]}", file=sys.stderr, flush=True)

    async def one(i: int, run: SimRun) -> None:
        # the SDK's sender: woken by each fsync; one request at a time; after an answer it sends
        # again at once when more is durable, else waits for the next fsync; failures back off
        # as the SDK's do, and after ``--drain`` seconds past the load the run gives up
        nonlocal accepted
        n = i
        delay = BACKOFF_FIRST
        while True:
            now = time.monotonic()
            run.advance(now, deadline)
            if run.durable > run.acked and now >= give_up:
                unacknowledged.append(run.run_id)
                return
            if run.durable > run.acked:
                async with sem:
                    # the batch is cut when it goes out, as the SDK's sender reads the log then: a
                    # run that waited for a connection sends all that became durable meanwhile
                    run.advance(time.monotonic(), deadline)
                    end = min(run.durable, run.acked + MAX_BATCH)
                    body = bytes(run.buf[run.acked:end])
                    if end < run.durable:  # whole frames only
                        body = body[:whole_frames(body, run.acked == 0)]
                    sent_at = time.monotonic()
                    try:
                        status, doc = await asyncio.wait_for(clients[n % len(clients)].post(
                            f"/api/ingest/{run.project}/{run.run_id}", body,
                            {**headers, "X-Runyard-Offset": str(run.acked), "X-Runyard-Head": run.head.hex()}),
                            args.request_timeout)
                    except (OSError, asyncio.IncompleteReadError, ValueError, asyncio.TimeoutError) as exc:
                        failed(type(exc).__name__, f"{exc!r} (run {run.run_id}, offset {run.acked})")
                        status, doc = 0, {}
                n += 1
                if status == 200:
                    delay = BACKOFF_FIRST
                    acked_at = time.time()
                    run.acked = int(doc["offset"])
                    accepted += int(doc["points"])
                    acked_mono = time.monotonic()
                    acks.append((acked_mono, int(doc["points"])))
                    first = run.rows_acked
                    while run.rows_acked < len(run.row_ends) and run.row_ends[run.rows_acked] <= run.acked:
                        run.rows_acked += 1
                    if run.rows_acked > first:  # the batch's oldest row: logged -> readable
                        latencies.append((acked_mono, acked_at - run.logged[first]))
                        round_trips.append(acked_mono - sent_at)
                else:
                    if status:
                        failed(str(status), f"{doc} (run {run.run_id}, offset {run.acked})")
                    if doc.get("expected_offset") is not None:
                        run.acked = int(doc["expected_offset"])
                    else:
                        await asyncio.sleep(random.uniform(0, delay))
                        delay = min(BACKOFF_CAP, delay * 2)
                continue
            if now >= deadline:
                return
            await asyncio.sleep(max(0.0, min(run.next_tick(now), deadline) - time.monotonic()) + 1e-4)

    await asyncio.gather(*(one(i, r) for i, r in enumerate(runs)))
    wall = time.monotonic() - start
    for c in clients:
        await c.close()
    # visible: read back the last step of a sample of runs through the API
    sample = runs[:: max(1, len(runs) // 20)] if not unacknowledged else []
    visible = 0
    async with httpx.AsyncClient(base_url=urls[0], timeout=args.request_timeout) as reader:
        for r in sample:
            got = await reader.get(f"/api/runs/{r.project}/{r.run_id}", headers={"X-Api-Key": key})
            visible += int(got.json().get("last_step", -1) == r.step - 1)
    lat = sorted(x for _, x in latencies)
    rtt = sorted(round_trips)
    offered = args.runs * args.metrics * args.steps_per_s
    # while the runs log, after a warm-up: what the servers take per second. Offered more than they
    # can take, this is their ceiling; taking all of it, it is the offered rate (the points/s over
    # the whole load also counts the drain after it, so it stays below the offered rate)
    warm = min(5.0, args.seconds / 4)
    steady = sum(k for t, k in acks if start + warm <= t <= deadline) / (args.seconds - warm)
    late = sorted(x for t, x in latencies if start + warm <= t <= deadline)
    return {"runs": args.runs, "metrics": args.metrics, "steps_per_s": args.steps_per_s,
            "fsync_interval": args.fsync_interval, "offered_points_per_s": offered, "wall_s": round(wall, 2),
            "points_accepted": accepted, "points_logged": sum(r.step for r in runs) * args.metrics,
            "points_per_s": round(accepted / wall), "steady_points_per_s": round(steady),
            "steady_fraction_of_offered": round(steady / offered, 3), "warmup_s": warm, "batches": len(lat),
            "visible_p50_s": quantile(lat, 0.5), "visible_p99_s": quantile(lat, 0.99),
            "visible_mean_s": round(statistics.fmean(lat), 3) if lat else None,
            "steady_visible_p50_s": quantile(late, 0.5), "steady_visible_p99_s": quantile(late, 0.99),
            "request_p50_s": quantile(rtt, 0.5), "request_p99_s": quantile(rtt, 0.99),
            "sample_visible": f"{visible}/{len(sample)}", "errors": errors,
            "runs_unacknowledged": len(unacknowledged)}


def quantile(ordered: list[float], q: float) -> float | None:
    """The ``q`` quantile of sorted seconds, to the millisecond (None: no value)."""
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 3) if ordered else None


def whole_frames(body: bytes, at_start: bool) -> int:
    """How many bytes of ``body`` are whole frames (the sender's ``_batch``)."""
    pos = cut = len(MAGIC) if at_start else 0
    while pos + 8 <= len(body):
        stop = pos + 8 + int.from_bytes(body[pos:pos + 4], "little")
        if stop > len(body):
            break
        cut = pos = stop
    return cut


def cpu_of(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
            for c in p.children(recursive=True):
                ct = c.cpu_times()
                total += ct.user + ct.system
        except psutil.Error:
            pass
    return total


def own_cpu(me: psutil.Process) -> float:
    """This process's CPU alone (the server processes are its children, counted apart)."""
    t = me.cpu_times()
    return float(t.user + t.system)


def postgres_procs() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if (p.info.get("name") or "").startswith("postgres")]


def chart_query(url: str, key: str, points: int, repeat: int) -> dict[str, Any]:
    buf = bytearray(MAGIC + frame(encode(start_record("chart1m", "chart"))))
    t0 = time.time()
    for step in range(points):
        value = 1.0 / (1 + step) + (step % 7) * 1e-4
        buf += frame(encode([Kind.ROW, step, t0 + step * 0.001, step * 0.001, {"loss": value}]))
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/octet-stream",
               "X-Runyard-Head": bytes(buf[:16]).hex()}
    sent = 0
    ingest_start = time.monotonic()
    with httpx.Client(base_url=url, timeout=300) as client:
        while sent < len(buf):  # whole frames up to ~8 MB per batch
            end = min(len(buf), sent + 8 * 1024 * 1024)
            pos = sent if sent else len(MAGIC)
            cut = pos
            while pos + 8 <= end:
                stop = pos + 8 + int.from_bytes(buf[pos:pos + 4], "little")
                if stop > end:
                    break
                cut = pos = stop
            r = client.post("/api/ingest/chart/chart1m", content=bytes(buf[sent:cut]),
                            headers={**headers, "X-Runyard-Offset": str(sent)})
            r.raise_for_status()
            sent = int(r.json()["offset"])
        ingest_s = time.monotonic() - ingest_start
        server_ms, wall_ms = [], []
        for i in range(repeat + 1):
            t = time.perf_counter()
            r = client.get("/api/runs/chart/chart1m/series", params={"key": "loss", "max_points": 1000},
                           headers={"X-Api-Key": key})
            r.raise_for_status()
            if i:  # the first is a warm-up
                wall_ms.append((time.perf_counter() - t) * 1000)
                server_ms.append(float(r.json()["elapsed_ms"]))
    return {"chart_points": points, "chart_ingest_points_per_s": round(points / ingest_s),
            "chart_server_ms_p50": round(statistics.median(server_ms), 2),
            "chart_server_ms_mean": round(statistics.fmean(server_ms), 2),
            "chart_server_ms_max": round(max(server_ms), 2),
            "chart_wall_ms_p50": round(statistics.median(wall_ms), 2),
            "chart_wall_ms_mean": round(statistics.fmean(wall_ms), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--servers", type=int, default=2, help="server processes, each on a port of its own")
    ap.add_argument("--ingest-threads", type=int, default=None,
                    help="ingest threads per server process (default: what --workers N would give each)")
    ap.add_argument("--metrics", type=int, default=100)
    ap.add_argument("--steps-per-s", type=float, default=10.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--fsync-interval", type=float, default=float(setting_default("online_fsync_interval")),
                    help="seconds between a simulated writer's fsyncs (default: the SDK's online_fsync_interval; "
                         "its sender ships only what is durable)")
    ap.add_argument("--in-flight", type=int, default=64)
    ap.add_argument("--request-timeout", type=float, default=120.0,
                    help="seconds a simulated run waits for one answer before it counts an error and retries")
    ap.add_argument("--drain", type=float, default=180.0,
                    help="seconds after the load during which runs may still send what they logged; then the "
                         "rest counts as unacknowledged")
    ap.add_argument("--chart-points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--mlflow-runs", type=int, default=None, help="runs of the MLflow anchor (default: --runs)")
    ap.add_argument("--mlflow-drain", type=float, default=60.0,
                    help="seconds MLflow gets after the load to take what is queued")
    ap.add_argument("--mlflow-batch-interval", type=float, default=2.0,
                    help="seconds between an MLflow client's log_batch calls")
    ap.add_argument("--no-mlflow", action="store_true", help="leave out the MLflow anchor")
    ap.add_argument("--quick", action="store_true", help="a small run for CI smoke tests (no MLflow)")
    args = ap.parse_args()
    # SIGTERM (a test's timeout) unwinds like an error: the servers are stopped and their logs shown
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.runs, args.metrics, args.seconds, args.chart_points, args.repeat = 20, 10, 3.0, 20_000, 3
        args.request_timeout, args.drain = 30.0, 60.0
        args.no_mlflow = True
    url = postgres_url()
    if url is None:
        sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test')")
    store, schema, key = team_store(url, "bench")
    tmp = Path(tempfile.mkdtemp(prefix="runyard-server-load-"))
    # the servers share this machine's cores, as ``--workers N`` processes would: the same threads each
    threads = args.ingest_threads or default_ingest_threads(args.servers)
    argv = ["--db", url, "--db-schema", schema, "--blobs", str(tmp / "blobs"), "--ingest-threads", str(threads)]
    servers = [ServerProcess(argv, {"RUNYARD_LOG_LEVEL": "error"}, tmp / f"server{i}.log")
               for i in range(args.servers)]
    result: dict[str, Any] = {"servers": args.servers, "ingest_threads": threads, "index": "postgresql"}
    ok = False
    try:
        t0 = time.monotonic()
        for s in servers:
            s.launch()
        for s in servers:
            s.wait_ready(max(1.0, 120 - (time.monotonic() - t0)))
        print(f"  [load] {len(servers)} servers ready in {time.monotonic() - t0:.1f} s; logging for "
              f"{args.seconds:g} s", file=sys.stderr, flush=True)
        server_procs = [psutil.Process(s.proc.pid) for s in servers if s.proc is not None]
        pg = postgres_procs()
        me = psutil.Process()
        before = (cpu_of(server_procs), cpu_of(pg), own_cpu(me))
        load = asyncio.run(run_load([s.url for s in servers], key, args))
        after = (cpu_of(server_procs), cpu_of(pg), own_cpu(me))
        if load["runs_unacknowledged"]:
            sys.exit(f"server_load: {load['runs_unacknowledged']} of {args.runs} runs still had unacknowledged "
                     f"points {args.drain:g} s after the load ended (errors: {load['errors']})")
        with store.read() as conn:  # what the index holds (an acknowledgment lost to a timeout still counts)
            load["points_indexed"] = int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(s_schema.series.c.n), 0)))
                                         .scalar_one())
        load["points_per_s"] = round(load["points_indexed"] / load["wall_s"])
        wall = load["wall_s"]
        load.update({"cpu_servers_s": round(after[0] - before[0], 1), "cpu_postgres_s": round(after[1] - before[1], 1),
                     "cpu_clients_s": round(after[2] - before[2], 1), "cores": psutil.cpu_count(),
                     "load_avg_1m": round(os.getloadavg()[0], 1)})
        load["cpu_busy_fraction"] = round((load["cpu_servers_s"] + load["cpu_postgres_s"] + load["cpu_clients_s"])
                                          / (wall * (psutil.cpu_count() or 1)), 2)
        result.update(load)
        result.update(chart_query(servers[0].url, key, args.chart_points, args.repeat))
        ok = True
    finally:
        for s in servers:
            s.stop()
            if not ok and s.log.exists():  # what the servers said, before their folder goes
                print(f"--- {s.log.name} (last 3000 characters)\n{s.log.read_text(errors='replace')[-3000:]}",
                      file=sys.stderr, flush=True)
        store.drop_schema()
        store.close()
    try:
        if not args.no_mlflow:
            result.update(run_mlflow_anchor(url, tmp, args.mlflow_runs or args.runs, args.metrics, args.steps_per_s,
                                            args.seconds, args.mlflow_batch_interval, args.in_flight, args.mlflow_drain,
                                            postgres_procs()))
    finally:
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    print(f"{result['runs']} runs x {result['metrics']} metrics x {result['steps_per_s']:g} steps/s "
          f"(offered {result['offered_points_per_s']:,.0f} points/s) against {result['servers']} server "
          f"processes of {result['ingest_threads']} ingest thread(s) on one PostgreSQL:")
    print(f"  ingested {result['points_per_s']:,} points/s ({result['points_indexed']:,} of "
          f"{result['points_logged']:,} logged points indexed in {result['wall_s']} s; errors retried: "
          f"{result['errors']}; runs that gave up after the drain: {result['runs_unacknowledged']})")
    print(f"  while logging, after a {result['warmup_s']:g} s warm-up: {result['steady_points_per_s']:,} "
          f"points/s acknowledged ({result['steady_fraction_of_offered']:.0%} of the offered rate), "
          f"log->visible p50 {result['steady_visible_p50_s']} s, p99 {result['steady_visible_p99_s']} s")
    print(f"  log->visible per batch: p50 {result['visible_p50_s']} s, p99 {result['visible_p99_s']} s, "
          f"mean {result['visible_mean_s']} s (read back: {result['sample_visible']}); of which the request "
          f"itself: p50 {result['request_p50_s']} s, p99 {result['request_p99_s']} s")
    print(f"  CPU over the load: servers {result['cpu_servers_s']} s, PostgreSQL {result['cpu_postgres_s']} s, "
          f"clients {result['cpu_clients_s']} s on {result['cores']} cores (busy {result['cpu_busy_fraction']:.0%}; "
          f"machine load average {result['load_avg_1m']})")
    print(f"  chart of {result['chart_points']:,} points through the team server: server "
          f"{result['chart_server_ms_p50']} ms p50 ({result['chart_server_ms_mean']} mean, "
          f"{result['chart_server_ms_max']} max); round trip {result['chart_wall_ms_p50']} ms p50 "
          f"({result['chart_wall_ms_mean']} mean)")
    if "mlflow_points_per_s" in result:
        ours_cpu = (result["cpu_servers_s"] + result["cpu_postgres_s"]) / max(result["points_indexed"], 1) * 1e6
        ml_points = max(result["mlflow_points_accepted"], result["mlflow_points_stored"])
        ml_cpu = (result["mlflow_cpu_server_s"] + result["mlflow_cpu_postgres_s"]) / max(ml_points, 1) * 1e6
        ratio = result["points_per_s"] / max(result["mlflow_points_per_s"], 1)
        result["ratio_points_per_s_vs_mlflow"] = round(ratio, 1)
        result["cpu_us_per_point"] = round(ours_cpu, 2)
        result["mlflow_cpu_us_per_point"] = round(ml_cpu, 2)
        result["ratio_cpu_per_point_mlflow_vs_ours"] = round(ml_cpu / max(ours_cpu, 1e-9), 1)
        print(f"  MLflow tracking server (2 workers, same PostgreSQL), {result['mlflow_runs']} runs, "
              "MlflowClient.log_batch: "
              f"{result['mlflow_points_per_s']:,} points/s ({result['mlflow_points_accepted']:,} of "
              f"{result['mlflow_points_logged']:,} logged accepted in {result['mlflow_wall_s']} s, "
              f"{result['mlflow_points_stored']:,} rows stored; errors {result['mlflow_errors']}); "
              f"log->visible p50 {result['mlflow_visible_p50_s']} s, p99 {result['mlflow_visible_p99_s']} s")
        print(f"  CPU: MLflow server {result['mlflow_cpu_server_s']} s, "
              f"PostgreSQL {result['mlflow_cpu_postgres_s']} s, "
              f"clients {result['mlflow_cpu_clients_s']} s")
        print(f"  ratio runyard/MLflow: {result['ratio_points_per_s_vs_mlflow']}x points/s; server+PostgreSQL CPU per "
              f"point {result['cpu_us_per_point']} us vs {result['mlflow_cpu_us_per_point']} us "
              f"(MLflow {result['ratio_cpu_per_point_mlflow_vs_ours']}x ours)")
    else:
        print("  MLflow anchor: not run (--no-mlflow or --quick)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
