"""The MLflow anchor of ``server_load.py``: the same simulated runs through the MLflow tracking server.

``mlflow server --backend-store-uri postgresql+psycopg://...`` (its own schema in the same
PostgreSQL database, ``test``; MLflow's own migrations create its tables) with ``--workers 2``
(uvicorn processes, like our two server processes), clients calling ``MlflowClient.log_batch``
with the metrics of the rows each run logged since its last batch, every ``batch_interval``
seconds, at most ``in_flight`` calls at once (a thread pool: the client is synchronous).
``log_batch`` splits a call into MLflow's limit of 1,000 metrics per request by itself.

Bounded: logging stops after ``seconds``; what is still queued then gets ``drain_s`` seconds,
and anything left after that is not waited for. Points/s counts the rows of MLflow's ``metrics``
table afterwards (a call that timed out on our side may still have been stored), or the points
of acknowledged calls if more.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
            for c in p.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    ct = c.cpu_times()
                    total += ct.user + ct.system
    return total


def run_mlflow_anchor(pg_url: str, tmp: Path, runs: int, metrics: int, steps_per_s: float, seconds: float,
                      batch_interval: float, in_flight: int, drain_s: float,
                      postgres_procs: list[psutil.Process]) -> dict[str, Any]:
    """Run the workload against a fresh MLflow tracking server; return its figures."""
    # a call gets one retry and at most 60 s (MLflow's own default, 7 retries with backoff, would
    # keep this process alive for many minutes after the server is gone)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    schema = f"mlflow_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    backend = (pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
               + f"?options=-csearch_path%3D{schema}")
    port = _free_port()
    log = tmp / "mlflow-server.log"
    out = open(log, "ab")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend,
         "--default-artifact-root", (tmp / "mlflow-artifacts").as_uri(), "--host", "127.0.0.1",
         "--port", str(port), "--workers", "2"],
        stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    result: dict[str, Any] = {"mlflow_runs": runs}
    try:
        deadline = time.monotonic() + 300  # MLflow migrates a fresh schema first
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(url + "/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mlflow server did not answer:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.5)
        client = MlflowClient(tracking_uri=url)
        exp = client.create_experiment(f"load-{uuid.uuid4().hex[:6]}")
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=in_flight)
        run_ids = list(pool.map(lambda i: client.create_run(exp, run_name=f"sim{i:05d}").info.run_id, range(runs)))
        keys = [f"m{k:03d}" for k in range(metrics)]
        server = [psutil.Process(proc.pid)]
        before = (_cpu(server), _cpu(postgres_procs), time.process_time())
        figures = asyncio.run(_load(client, Metric, pool, run_ids, keys, steps_per_s, seconds, batch_interval,
                                    drain_s))
        after = (_cpu(server), _cpu(postgres_procs), time.process_time())
        pool.shutdown(wait=False, cancel_futures=True)
        with admin.connect() as conn:
            stored = int(conn.execute(sa.text(f'SELECT count(*) FROM "{schema}".metrics')).scalar_one())
        result.update(figures)
        result.update({"mlflow_points_stored": stored,
                       # what MLflow holds (a call that timed out on our side may still have been stored)
                       "mlflow_points_per_s": round(max(stored, figures["mlflow_points_accepted"])
                                                    / figures["mlflow_wall_s"]),
                       "mlflow_cpu_server_s": round(after[0] - before[0], 1),
                       "mlflow_cpu_postgres_s": round(after[1] - before[1], 1),
                       "mlflow_cpu_clients_s": round(after[2] - before[2], 1)})
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        out.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    return result


async def _load(client: Any, metric_cls: Any, pool: concurrent.futures.ThreadPoolExecutor, run_ids: list[str],
                keys: list[str], steps_per_s: float, seconds: float, batch_interval: float,
                drain_s: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = time.monotonic()
    deadline = start + seconds
    hard = deadline + drain_s
    latencies: list[float] = []
    accepted = logged = 0
    errors: dict[str, int] = {}
    period = 1.0 / steps_per_s

    async def one(i: int, run_id: str) -> None:
        nonlocal accepted, logged
        step = 0
        next_row = start + (i % 97) / 97 * period
        next_batch = start + (i % 89) / 89 * batch_interval
        pending: list[Any] = []
        oldest: float | None = None
        while True:
            now = time.monotonic()
            wall_now = time.time()
            while next_row <= now and next_row < deadline:  # rows due, stamped with their own times
                t = wall_now - (now - next_row)
                ms = int(t * 1000)
                pending.extend(metric_cls(k, float(step * 0.001 + j), ms, step) for j, k in enumerate(keys))
                oldest = t if oldest is None else oldest
                logged += len(keys)
                step += 1
                next_row += period
            done_logging = next_row >= deadline
            if pending and (now >= next_batch or done_logging):
                batch, first = pending, oldest
                pending, oldest = [], None
                try:
                    await asyncio.wait_for(loop.run_in_executor(pool, client.log_batch, run_id, batch),
                                           timeout=max(0.1, hard - time.monotonic()))
                    accepted += len(batch)
                    assert first is not None
                    latencies.append(time.time() - first)
                except Exception as exc:  # noqa: BLE001 - counted, and the batch is not retried
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                next_batch = time.monotonic() + batch_interval
            if (done_logging and not pending) or time.monotonic() >= hard:
                return
            wake = next_batch if done_logging else min(next_batch, max(deadline, next_row))
            await asyncio.sleep(max(0.0, wake - time.monotonic()))

    await asyncio.gather(*(one(i, r) for i, r in enumerate(run_ids)))
    wall = time.monotonic() - start
    lat = sorted(latencies)
    return {"mlflow_wall_s": round(wall, 2), "mlflow_points_logged": logged, "mlflow_points_accepted": accepted,
            "mlflow_batches": len(lat),
            "mlflow_visible_p50_s": round(lat[len(lat) // 2], 3) if lat else None,
            "mlflow_visible_p99_s": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 3) if lat else None,
            "mlflow_visible_mean_s": round(statistics.fmean(lat), 3) if lat else None,
            "mlflow_errors": errors}
