#!/usr/bin/env python3
"""Chart queries of long series, ingest throughput and index size.

For each size (default 10k and 1M points; ``--sizes 10k,1M,10M``) one run with one metric is
written as a real run log (``loss``: a decaying curve with noise, float32 precision as a
``torch`` scalar's ``.item()`` gives; ``--float64`` logs full float64 noise instead, the worst
case for compression). Then, per index backend (SQLite, and PostgreSQL when it answers on
127.0.0.1:5432):

* ingest: wall time of ``Ingestor.ingest_all()`` over that log into an empty index, as points/s;
* index bytes per point: the index's size after ingest (SQLite file incl. WAL after a checkpoint;
  PostgreSQL: ``pg_total_relation_size`` of every table) divided by the points;
* query latency through HTTP: a real ``uvicorn`` server in a subprocess, queried with ``httpx``
  for a 1,000-point chart of the whole range, and of a 1% zoom at deterministic pseudo-random
  positions; p50 and p95 over ``--repeat`` requests after a warm-up, both the client's round trip
  and the server's own time (``elapsed_ms`` in the answer).

A runs-table workload builds ``--table-runs`` runs (default 1,000) with 100 config and 100
summary columns and times a filtered, sorted page of 100 runs (``config.c000 > x`` sorted by
``-summary_metrics.s000``).

Anchors: the same series (the same values, steps 0..n-1) is written with MLflow (``log_batch``
into a local SQLite tracking store), Trackio (its SQLite store's ``bulk_log``, what ``trackio.log``
ends in) and Aim (``Run.track``), then read back through each one's own reader: MLflow
``MlflowClient().get_metric_history(run_id, "loss")``, Trackio
``SQLiteStorage.get_metric_values(project, run, "loss")`` and Aim
``Repo(...).get_run(hash).get_metric("loss", Context({})).data.numpy()`` (steps, values, epochs and
times in step order; ``.values.values_numpy()``, the values alone in storage order, is reported too
as ``values_only_p50_ms``). Aim's run is indexed after writing the way ``aim up``'s indexer does.
Each anchor runs in its own subprocess of ``--anchor-python`` (default
``$RUNYARD_BENCH_PYTHON``, else this interpreter) and is reported as not installed when that
interpreter cannot import it. The read is timed ``--anchor-repeat`` times after one warm-up read
(store handles opened once, outside the timer) and its p50 is compared with runyard's whole-range
chart query (p50, through HTTP, SQLite index) as ``anchor p50 / runyard p50``. The anchors return
every point logged; runyard's chart query returns at most 1,000 buckets (min/max/first/last per
bucket), which is what a chart needs; the ratio measures exactly that difference in design.
Writing is timed too (``write_s``) but only for information: the anchors write with their bulk
APIs, not the way a training loop calls them. An anchor whose worker fails is run once more (the
first error is kept in the JSON as ``first_attempt_error``).

The last line printed is one JSON object holding every figure.

    python benchmarks/query.py                       # 10k and 1M, SQLite and PostgreSQL
    python benchmarks/query.py --sizes 10k,1M,10M --repeat 50
    RUNYARD_BENCH_PYTHON=/work/bench-venv/bin/python python benchmarks/query.py --skip table
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(REPO_SRC))

import numpy as np  # noqa: E402

RESULT_PREFIX = "RUNYARD_ANCHOR_RESULT "
# anchor -> module its interpreter must import
ANCHOR_MODULES = {"mlflow": "mlflow", "trackio": "trackio", "aim": "aim"}

SERVER = """
import sys, uvicorn
sys.path.insert(0, sys.argv[5])
from runyard.server import create_app
uvicorn.run(create_app(sys.argv[1], sys.argv[2], schema=sys.argv[4] or None, follow=False),
            host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""
FIGURES: dict[str, Any] = {}


def say(line: str) -> None:
    print(line, flush=True)


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def series_data(n: int, float64: bool) -> tuple[Any, Any, Any]:
    """Steps, values and wall times of the benchmark's series of ``n`` points."""
    t0 = 1.7e9
    rng = np.random.default_rng(n)
    steps = np.arange(n)
    loss = np.exp(-steps / max(n / 5, 1)) + rng.normal(0, 0.02, n)
    if not float64:
        loss = loss.astype(np.float32).astype(np.float64)
    ts = t0 + np.cumsum(rng.normal(0.01, 0.0005, n))
    return steps, loss, ts


def write_log(root: Path, project: str, run_id: str, n: int, float64: bool, width: int = 1) -> Path:
    from runyard.log.framing import MAGIC, frame
    from runyard.log.records import Kind, encode

    folder = root / project / run_id
    folder.mkdir(parents=True)
    t0 = 1.7e9
    steps, loss, ts = series_data(n, float64)
    start = {"id": run_id, "project": project, "name": run_id, "config": {}, "created_at": t0,
             "pid": 0, "host": "bench", "pid_start": ""}
    keys = ["loss"] + [f"m{i}" for i in range(1, width)]
    with open(folder / "run.rylog", "wb") as f:
        f.write(MAGIC + frame(encode([Kind.START, start])))
        block = 100_000
        for a in range(0, n, block):
            parts = []
            for i, v, t in zip(steps[a:a + block].tolist(), loss[a:a + block].tolist(),
                               ts[a:a + block].tolist(), strict=True):
                row = dict.fromkeys(keys, v)
                parts.append(frame(encode([Kind.ROW, i, t, t - t0, row])))
            f.write(b"".join(parts))
        f.write(frame(encode([Kind.END, float(ts[-1]), float(ts[-1] - t0), 0, {}])))
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, root: Path, url: str, schema: str | None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, str(root), url, str(self.port),
                                      schema or "", str(REPO_SRC)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        import httpx

        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(self.base + "/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
        self.stop()
        raise RuntimeError(f"server did not start:\n{out}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def time_queries(base: str, path: str, params_list: list[dict[str, Any]]) -> dict[str, float]:
    import httpx

    client_ms, server_ms = [], []
    with httpx.Client(base_url=base, timeout=60) as http:
        for params in params_list[:3]:  # warm-up
            http.get(path, params=params).raise_for_status()
        for params in params_list:
            t = time.perf_counter()
            r = http.get(path, params=params)
            client_ms.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
            server_ms.append(float(r.json().get("elapsed_ms", "nan")))
    return {"p50_ms": round(pct(client_ms, 50), 2), "p95_ms": round(pct(client_ms, 95), 2),
            "server_p50_ms": round(pct(server_ms, 50), 2), "server_p95_ms": round(pct(server_ms, 95), 2)}


def backends() -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = [("sqlite", None)]
    from runyard.store.fixtures import postgres_url

    url = postgres_url()
    if url is None:
        say("postgresql: not reachable on 127.0.0.1:5432 (database 'test'); skipped")
    else:
        out.append(("postgresql", url))
    return out


def open_store(kind: str, pg_url: str | None, work: Path, name: str) -> tuple[Any, str, str | None]:
    from runyard.store import Store
    from runyard.store.fixtures import unique_schema

    if kind == "sqlite":
        url = f"sqlite:///{work / (name + '.sqlite3')}"
        return Store(url), url, None
    schema = unique_schema()
    assert pg_url is not None
    return Store(pg_url, schema=schema), pg_url, schema


def bench_series(args: argparse.Namespace, work: Path) -> None:
    from runyard.store import Ingestor

    sizes = [parse_size(s) for s in args.sizes.split(",")]
    for n in sizes:
        label = f"{n:,}"
        root = work / f"runs_{n}"
        t = time.perf_counter()
        write_log(root, "bench", "run00001", n, args.float64)
        say(f"[{label} points] wrote the run log in {time.perf_counter() - t:.1f} s")
        for kind, pg_url in backends():
            store, url, schema = open_store(kind, pg_url, work, f"series_{n}")
            try:
                t = time.perf_counter()
                Ingestor(root, store).ingest_all()
                dt = time.perf_counter() - t
                store.checkpoint()
                size = store.size_bytes()
                ing = {"ingest_s": round(dt, 3), "ingest_points_per_s": round(n / dt),
                       "index_bytes": size, "bytes_per_point": round(size / n, 2)}
                say(f"[{label} points] {kind}: ingest {n / dt:,.0f} points/s ({dt:.2f} s); index "
                    f"{size:,} bytes = {size / n:.2f} bytes/point")
                store.close()
                srv = Server(root, url, schema)
                try:
                    path = "/api/runs/bench/run00001/series"
                    whole = time_queries(srv.base, path, [{"key": "loss", "max_points": 1000}] * args.repeat)
                    rng = np.random.default_rng(7)
                    span = max(1, n // 100)
                    starts = rng.integers(0, max(1, n - span), args.repeat).tolist()
                    zoom = time_queries(srv.base, path, [
                        {"key": "loss", "max_points": 1000, "x_min": s, "x_max": s + span - 1} for s in starts])
                finally:
                    srv.stop()
                say(f"[{label} points] {kind}: whole range p50 {whole['p50_ms']} ms p95 {whole['p95_ms']} ms "
                    f"(server {whole['server_p50_ms']}/{whole['server_p95_ms']} ms); 1% zoom p50 "
                    f"{zoom['p50_ms']} ms p95 {zoom['p95_ms']} ms (server {zoom['server_p50_ms']}/"
                    f"{zoom['server_p95_ms']} ms)")
                FIGURES.setdefault("series", {}).setdefault(kind, {})[str(n)] = {
                    **ing, "whole": whole, "zoom_1pct": zoom}
            finally:
                if schema is not None:
                    store.drop_schema()
        shutil.rmtree(root, ignore_errors=True)
    for kind, per in FIGURES.get("series", {}).items():
        small, large = str(min(sizes)), str(max(sizes))
        if small != large and small in per and large in per:
            ratio = per[large]["whole"]["p50_ms"] / per[small]["whole"]["p50_ms"]
            FIGURES.setdefault("ratios", {})[f"{kind}_p50_{large}_over_{small}"] = round(ratio, 2)
            say(f"{kind}: p50 at {int(large):,} points / p50 at {int(small):,} points = {ratio:.2f} (target <= 2)")


def bench_wide_ingest(args: argparse.Namespace, work: Path) -> None:
    """Ingest of rows holding 20 metrics each: the per-row costs are shared by 20 points."""
    from runyard.store import Ingestor, Store

    n = args.wide_rows
    root = work / "wide"
    write_log(root, "bench", "wide0001", n, args.float64, width=20)
    store = Store(work / "wide.sqlite3")
    t = time.perf_counter()
    Ingestor(root, store).ingest_all()
    dt = time.perf_counter() - t
    store.checkpoint()
    pts = n * 20
    FIGURES["wide_ingest_sqlite"] = {"rows": n, "points": pts, "ingest_points_per_s": round(pts / dt),
                                     "bytes_per_point": round(store.size_bytes() / pts, 2)}
    say(f"[{n:,} rows x 20 metrics] sqlite: ingest {pts / dt:,.0f} points/s; "
        f"{store.size_bytes() / pts:.2f} bytes/point")
    store.close()
    shutil.rmtree(root, ignore_errors=True)


def bench_runs_table(args: argparse.Namespace, work: Path) -> None:
    from runyard.log.framing import MAGIC, frame
    from runyard.log.records import Kind, encode
    from runyard.store import Ingestor

    root = work / "table"
    rng = np.random.default_rng(5)
    for i in range(args.table_runs):
        folder = root / "wide" / f"r{i:07d}"
        folder.mkdir(parents=True)
        config = {f"c{j:03d}": float(rng.random()) for j in range(100)}
        summary_row = {f"s{j:03d}": float(rng.random()) for j in range(100)}
        start = {"id": folder.name, "project": "wide", "name": f"run {i}", "config": config,
                 "created_at": 1.7e9 + i, "pid": 0, "host": "bench", "pid_start": "", "tags": ["t"]}
        with open(folder / "run.rylog", "wb") as f:
            f.write(MAGIC + frame(encode([Kind.START, start])) + frame(encode([Kind.ROW, 0, 1.7e9 + i, 1.0,
                                                                                 summary_row]))
                    + frame(encode([Kind.END, 1.7e9 + i + 1, 1.0, 0, {}])))
    filters = json.dumps({"config.c000": {"$gt": 0.3}})
    for kind, pg_url in backends():
        store, url, schema = open_store(kind, pg_url, work, "table")
        try:
            t = time.perf_counter()
            Ingestor(root, store).ingest_all()
            ingest_s = time.perf_counter() - t
            store.close()
            srv = Server(root, url, schema)
            try:
                params = {"filters": filters, "order": "-summary_metrics.s000", "limit": 100}
                stats = time_page(srv.base, params, args.repeat)
            finally:
                srv.stop()
            stats["ingest_s"] = round(ingest_s, 2)
            FIGURES.setdefault("runs_table", {})[kind] = stats
            say(f"[{args.table_runs} runs x 200 columns] {kind}: filtered sorted page of 100: p50 "
                f"{stats['p50_ms']} ms p95 {stats['p95_ms']} ms (through HTTP; target <= 100 ms)")
        finally:
            if schema is not None:
                store.drop_schema()
    shutil.rmtree(root, ignore_errors=True)


def time_page(base: str, params: dict[str, Any], repeat: int) -> dict[str, float]:
    import httpx

    times = []
    with httpx.Client(base_url=base, timeout=60) as http:
        for _ in range(3):
            http.get("/api/projects/wide/runs", params=params).raise_for_status()
        for _ in range(repeat):
            t = time.perf_counter()
            r = http.get("/api/projects/wide/runs", params=params)
            times.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(pct(times, 95), 2)}


# --- anchors -----------------------------------------------------------------------------------


def anchor_worker(lib: str, n: int, folder: Path, repeat: int, float64: bool) -> dict[str, Any]:
    """Runs in the anchor's interpreter: write the series with ``lib``, then time its reader."""
    steps, loss, ts = series_data(n, float64)
    steps_l, loss_l, ts_l = steps.tolist(), loss.tolist(), ts.tolist()
    out: dict[str, Any] = {"lib": lib, "points": n}
    extra: dict[str, Any] = {}  # other reads worth a figure
    t = time.perf_counter()
    if lib == "mlflow":
        import mlflow
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient

        uri = f"sqlite:///{folder / 'mlflow.db'}"
        client = MlflowClient(uri)
        run_id = client.create_run(client.create_experiment("bench")).info.run_id
        for a in range(0, n, 1000):  # log_batch takes at most 1,000 metrics
            b = a + 1000
            client.log_batch(run_id, metrics=[Metric("loss", v, int(w * 1000), i) for i, v, w in
                                              zip(steps_l[a:b], loss_l[a:b], ts_l[a:b], strict=True)])
        client.set_terminated(run_id)
        out["version"] = mlflow.__version__
        reader = MlflowClient(uri)

        def read() -> int:
            return len(reader.get_metric_history(run_id, "loss"))
    elif lib == "trackio":
        import datetime

        import trackio
        from trackio.sqlite_storage import SQLiteStorage

        stamps = [datetime.datetime.fromtimestamp(w, datetime.timezone.utc).isoformat() for w in ts_l]
        for a in range(0, n, 100_000):
            SQLiteStorage.bulk_log("bench", "run", [{"loss": v} for v in loss_l[a:a + 100_000]],
                                   steps=steps_l[a:a + 100_000], timestamps=stamps[a:a + 100_000])
        out["version"] = trackio.__version__

        def read() -> int:
            return len(SQLiteStorage.get_metric_values("bench", "run", "loss"))
    elif lib == "aim":
        import aim
        from aim.__version__ import __version__ as aim_version

        arun = aim.Run(repo=str(folder / "aim"), experiment="bench", system_tracking_interval=None,
                       log_system_params=False, capture_terminal_logs=False)
        track = arun.track
        for i, v in zip(steps_l, loss_l, strict=True):
            track(v, name="loss", step=i)
        run_hash = arun.hash
        arun.close()
        from aim.sdk.index_manager import RepoIndexManager
        from aim.storage.context import Context

        # what ``aim up``'s indexer does in the background: make the run visible to Repo readers
        RepoIndexManager.get_index_manager(aim.Repo(str(folder / "aim"))).index(run_hash)
        out["version"] = aim_version
        repo = aim.Repo(str(folder / "aim"))

        def read() -> int:
            metric = repo.get_run(run_hash).get_metric("loss", Context({}))
            got_steps, (_values, _epochs, _times) = metric.data.numpy()  # in step order
            return len(got_steps)

        def read_values() -> int:  # ``.values``: the values alone, in storage order
            return len(repo.get_run(run_hash).get_metric("loss", Context({})).values.values_numpy())

        extra["values_only"] = read_values
    else:
        raise SystemExit(f"unknown anchor {lib}")
    out["write_s"] = round(time.perf_counter() - t, 2)
    got = read()  # warm-up, and a check that every point is there
    if got != n:
        raise RuntimeError(f"{lib} read back {got} points, not {n}")
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        read()
        times.append((time.perf_counter() - t) * 1000)
    out["read_p50_ms"] = round(statistics.median(times), 2)
    out["read_min_ms"] = round(min(times), 2)
    out["repeats"] = repeat
    for name, fn in extra.items():
        fn()
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        out[f"{name}_p50_ms"] = round(statistics.median(times), 2)
    return out


def anchor_python(args: argparse.Namespace) -> str:
    return str(args.anchor_python or os.environ.get("RUNYARD_BENCH_PYTHON") or sys.executable)


def installed(python: str, module: str) -> bool:
    probe = f"import importlib.util,sys; sys.exit(0 if importlib.util.find_spec({module!r}) else 3)"
    try:
        return subprocess.run([python, "-c", probe], capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def run_anchor(python: str, lib: str, n: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"anchor-{lib}-", dir=work))
    env = dict(os.environ, TRACKIO_DIR=str(folder / "trackio"), MLFLOW_ENABLE_TELEMETRY="false",
               DO_NOT_TRACK="1", AIM_UI_TELEMETRY_ENABLED="0", GRADIO_ANALYTICS_ENABLED="False",
               HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", PYTHONUNBUFFERED="1")
    cmd = [python, str(Path(__file__).resolve()), "--anchor-worker", lib, "--anchor-n", str(n),
           "--anchor-dir", str(folder), "--anchor-repeat", str(args.anchor_repeat)]
    if args.float64:
        cmd.append("--float64")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.anchor_timeout, env=env,
                              cwd=str(folder))
    except subprocess.TimeoutExpired:
        return {"lib": lib, "points": n, "error": f"timed out after {args.anchor_timeout:.0f} s"}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if found:
        result: dict[str, Any] = json.loads(found[-1][len(RESULT_PREFIX):])
        return result
    lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
    return {"lib": lib, "points": n, "error": lines[-1] if lines else f"exit code {proc.returncode}"}


def anchors(args: argparse.Namespace, work: Path) -> None:
    python = anchor_python(args)
    say(f"anchors run in {python}")
    FIGURES["anchor_python"] = python
    libs = [x for x in args.anchors.split(",") if x]
    sizes = [parse_size(x) for x in (args.anchor_sizes or args.sizes).split(",")]
    mine = FIGURES.get("series", {}).get("sqlite", {})
    for lib in libs:
        if not installed(python, ANCHOR_MODULES[lib]):
            say(f"{lib}: not installed")
            FIGURES.setdefault("anchors", {})[lib] = "not installed"
            continue
        for n in sizes:
            res = run_anchor(python, lib, n, args, work)
            if "error" in res:  # Aim's store has failed a read now and then (RocksIOError): once more
                first = res["error"]
                res = run_anchor(python, lib, n, args, work)
                res["first_attempt_error"] = first
            FIGURES.setdefault("anchors", {}).setdefault(lib, {})[str(n)] = res
            if "error" in res:
                say(f"[{n:,} points] {lib}: failed: {res['error']}")
                continue
            line = (f"[{n:,} points] {lib} {res.get('version', '')}: read of every point p50 "
                    f"{res['read_p50_ms']} ms (min {res['read_min_ms']} ms, {res['repeats']} reads; written in "
                    f"{res['write_s']} s)")
            if "values_only_p50_ms" in res:
                line += f"; .values alone p50 {res['values_only_p50_ms']} ms"
            ours = mine.get(str(n), {}).get("whole", {}).get("p50_ms")
            if ours:
                ratio = res["read_p50_ms"] / ours
                res["ratio_to_runyard_chart_p50"] = round(ratio, 1)
                FIGURES.setdefault("ratios", {})[f"{lib}_read_over_runyard_chart_{n}"] = round(ratio, 1)
                line += f"; runyard chart query p50 {ours} ms: ratio {ratio:,.1f}x"
            say(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k,1M", help="comma-separated point counts (10k, 1M, 10M)")
    ap.add_argument("--repeat", type=int, default=30, help="requests per latency figure")
    ap.add_argument("--table-runs", type=int, default=1000)
    ap.add_argument("--wide-rows", type=int, default=100_000, help="rows of the 20-metric ingest (0: skip)")
    ap.add_argument("--float64", action="store_true", help="log full float64 noise (worst case)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: series, wide, table, anchors")
    ap.add_argument("--anchors", default="mlflow,trackio,aim", help="comma list of anchors to measure")
    ap.add_argument("--anchor-sizes", default="", help="point counts for the anchors (default: --sizes)")
    ap.add_argument("--anchor-python", help="interpreter for the anchors (default $RUNYARD_BENCH_PYTHON)")
    ap.add_argument("--anchor-repeat", type=int, default=5, help="timed reads per anchor figure")
    ap.add_argument("--anchor-timeout", type=float, default=1800, help="seconds per anchor and size")
    ap.add_argument("--anchor-worker", help=argparse.SUPPRESS)
    ap.add_argument("--anchor-n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--anchor-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.anchor_worker:
        res = anchor_worker(args.anchor_worker, args.anchor_n, Path(args.anchor_dir), args.anchor_repeat, args.float64)
        print(RESULT_PREFIX + json.dumps(res), flush=True)
        return
    FIGURES["config"] = {"sizes": args.sizes, "repeat": args.repeat, "float64": args.float64,
                         "table_runs": args.table_runs}
    skip = set(args.skip.split(","))
    work = Path(tempfile.mkdtemp(prefix="runyard-bench-"))
    try:
        if "series" not in skip:
            bench_series(args, work)
        if "wide" not in skip and args.wide_rows:
            bench_wide_ingest(args, work)
        if "table" not in skip:
            bench_runs_table(args, work)
        if "anchors" not in skip:
            anchors(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(FIGURES, separators=(",", ":")))


if __name__ == "__main__":
    main()
