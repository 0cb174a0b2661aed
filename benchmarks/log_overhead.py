#!/usr/bin/env python3
"""How much does ``log()`` cost? runyard against the trackers it replaces.

For rows of 1, 10 and 100 float metrics this measures, per library:

* the median (and p95) microseconds one ``log()`` call takes on the caller's thread, timed with
  ``time.perf_counter_ns()`` around the call; the timer's own cost (the median of an empty
  ``perf_counter_ns()`` pair, measured in the same worker) is subtracted from both figures;
* end-to-end points per second: steps x width divided by the wall time from just before the first
  ``log()`` to ``finish()`` (or the library's equivalent) returning, i.e. until everything the
  library will write is written. The clock includes building each row's dict (a ``dict(zip())``
  of ready-made keys and values, the same for every library); and once more for runyard and the
  bare loop without the per-call timer (its two clock reads and a store cost the loop about as
  much as a row of runyard's ``log()``), over at least 1,000,000 points;
* CPU time per row, whole process and threads other than the caller's (the library's writer),
  steadier than wall time on a shared machine;
* peak RSS of the worker process (``ru_maxrss``), which includes the interpreter and the
  library's imports; ``rss0`` in the JSON is the resident size just before logging started;
* bytes on disk per point: the apparent size of every file the run left in its folder, divided by
  steps x width (fixed per-run files included, so short runs look worse).

Each library runs in its own subprocess per width (``--worker LIB``), so imports and memory do not
mix. runyard and the baseline run in this interpreter; the anchors (wandb offline, MLflow with a
local SQLite store, synchronous and asynchronous, Trackio, Aim, tensorboardX) run in
``--anchor-python`` (default ``$RUNYARD_BENCH_PYTHON``, else this interpreter) and are skipped with
"LIB: not installed" when it cannot import them. A worker that fails or times out is reported with
the last line of its error; the run goes on.

runyard logs offline; with ``RUNYARD_MODE=online`` (and ``RUNYARD_BASE_URL``/``RUNYARD_API_KEY``
of a team server) it logs in online mode, its sender streaming the run meanwhile.

The baseline copies the same dict and appends the copy to a list, inline with no function call:
the physical floor a Python ``log()`` can reach. A memory workload logs 1,000,000 rows of 10 floats
through runyard as fast as possible (no per-call timer) and reports the peak RSS.

Step counts differ per library (slow anchors get fewer steps so the whole run stays within a few
minutes; every worker also stops logging after ``--max-seconds``); per-call medians and points per
second are comparable across counts. Figures from a shared 2-core machine are noisy.

The last line printed is one JSON object holding every figure printed above it.

    python benchmarks/log_overhead.py                     # everything installed
    python benchmarks/log_overhead.py --quick --libs runyard,baseline --skip-memory
"""

from __future__ import annotations

import argparse
import array
import gc
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_SRC = Path(__file__).resolve().parents[1] / "src"
RESULT_PREFIX = "RUNYARD_BENCH_RESULT "
WIDTHS = (1, 10, 100)

# library -> module the anchor interpreter must be able to import
ANCHOR_MODULES: dict[str, str] = {
    "wandb": "wandb",
    "mlflow-sync": "mlflow",
    "mlflow-async": "mlflow",
    "trackio": "trackio",
    "aim": "aim",
    "tensorboardX": "tensorboardX",
}
LOCAL_LIBS = ("baseline", "runyard")
ALL_LIBS = LOCAL_LIBS + tuple(ANCHOR_MODULES)

# Default steps per (library, width), chosen so each worker logs for roughly 1-5 s on a 2-core
# machine (from the per-call costs measured on it); --max-seconds caps it anyway.
DEFAULT_STEPS: dict[str, tuple[int, int, int]] = {
    "baseline": (100_000, 100_000, 50_000),
    "runyard": (100_000, 100_000, 50_000),
    "wandb": (10_000, 10_000, 5_000),
    "mlflow-sync": (500, 500, 300),
    "mlflow-async": (2_000, 2_000, 1_000),
    "trackio": (20_000, 20_000, 10_000),
    "aim": (10_000, 3_000, 300),
    "tensorboardX": (20_000, 5_000, 500),
}
QUICK_DIVISOR = 50
MEMORY_STEPS = 1_000_000
E2E_POINTS = 1_000_000  # points of the end-to-end run without the per-call timer
MEMORY_WIDTH = 10


# --------------------------------------------------------------------------------------------
# worker side
# --------------------------------------------------------------------------------------------


def _timer_overhead_ns(n: int = 200_000) -> int:
    """Median cost of an empty ``perf_counter_ns()`` pair, subtracted from every call's time."""
    clock = time.perf_counter_ns
    samples = array.array("q", bytes(8 * n))
    for i in range(n):
        t0 = clock()
        t1 = clock()
        samples[i] = t1 - t0
    ordered = sorted(samples)
    return ordered[n // 2]


def _folder_bytes(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _rss_now_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


class Adapter:
    """One library's logging calls. ``log`` is called as ``log(row)`` or ``log(row, step)``."""

    version: str = ""
    log: Callable[..., Any]
    takes_step: bool = False

    def finish(self) -> None:
        pass


def _adapter(lib: str, folder: Path) -> Adapter:
    a = Adapter()
    if lib == "runyard":
        if REPO_SRC.is_dir():  # benchmark this checkout, whatever is installed
            sys.path.insert(0, str(REPO_SRC))
        import runyard

        # $RUNYARD_MODE=online measures log() while the sender streams the run to $RUNYARD_BASE_URL
        mode = "online" if os.environ.get("RUNYARD_MODE") == "online" else "offline"
        run = runyard.init(project="bench", dir=str(folder), mode=mode, settings={"console": "off"})
        a.version = str(getattr(runyard, "__version__", ""))
        a.log = run.log
        a.finish = run.finish  # type: ignore[method-assign]
    elif lib == "wandb":
        import wandb

        wrun = wandb.init(project="bench", dir=str(folder), mode="offline", settings=wandb.Settings(console="off"))
        a.version = wandb.__version__
        a.log = wrun.log
        a.finish = wrun.finish  # type: ignore[method-assign]
    elif lib in ("mlflow-sync", "mlflow-async"):
        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
        mlflow.set_experiment("bench")
        mlflow.start_run()
        a.version = mlflow.__version__
        a.takes_step = True
        if lib == "mlflow-sync":

            def log_sync(row: dict[str, float], step: int) -> None:
                mlflow.log_metrics(row, step=step)

            a.log = log_sync

            def finish_sync() -> None:
                mlflow.end_run()

            a.finish = finish_sync  # type: ignore[method-assign]
        else:

            def log_async(row: dict[str, float], step: int) -> None:
                mlflow.log_metrics(row, step=step, synchronous=False)

            a.log = log_async

            def finish_async() -> None:
                mlflow.flush_async_logging()
                mlflow.end_run()

            a.finish = finish_async  # type: ignore[method-assign]
    elif lib == "trackio":
        import trackio  # TRACKIO_DIR is read at import time; the parent points it at ``folder``

        trackio.init(project="bench", embed=False, auto_log_cpu=False, auto_log_gpu=False)
        a.version = trackio.__version__
        a.log = trackio.log
        a.finish = trackio.finish  # type: ignore[method-assign]
    elif lib == "aim":
        import aim
        from aim.__version__ import __version__ as aim_version

        arun = aim.Run(
            repo=str(folder),
            experiment="bench",
            system_tracking_interval=None,
            log_system_params=False,
            capture_terminal_logs=False,
        )
        if getattr(arun, "hash", None) is None:  # aim.Run swallows its own exceptions
            raise RuntimeError("aim.Run() did not start a run")
        track = arun.track
        a.version = aim_version
        a.takes_step = True

        def log_aim(row: dict[str, float], step: int) -> None:
            for k, v in row.items():
                track(v, name=k, step=step)

        a.log = log_aim
        a.finish = arun.close  # type: ignore[method-assign]
    elif lib == "tensorboardX":
        import tensorboardX

        writer = tensorboardX.SummaryWriter(str(folder))
        add_scalar = writer.add_scalar
        a.version = tensorboardX.__version__
        a.takes_step = True

        def log_tbx(row: dict[str, float], step: int) -> None:
            for k, v in row.items():
                add_scalar(k, v, step)

        a.log = log_tbx
        a.finish = writer.close  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown library {lib!r}")
    return a


def _percentile(ordered: list[int], q: float) -> int:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_worker(lib: str, width: int, steps: int, folder: Path, max_seconds: float, timed: bool) -> dict[str, Any]:
    """Log ``steps`` rows of ``width`` floats through ``lib``; return the figures."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chdir(folder)  # MLflow puts its artifact root (./mlruns) in the working directory
    overhead = _timer_overhead_ns()
    keys = [f"metric_{j}" for j in range(width)]
    rng = random.Random(width)
    pool = [[rng.random() for _ in keys] for _ in range(64)]
    clock = time.perf_counter_ns
    lat = array.array("q", bytes(8 * steps)) if timed else array.array("q")
    deadline_ns = int(max_seconds * 1e9)

    adapter: Adapter | None = None
    sink: list[dict[str, float]] = []
    if lib != "baseline":
        adapter = _adapter(lib, folder)
    gc.collect()
    rss0 = _rss_now_mb()

    done = 0
    cpu0, main0 = time.process_time(), time.thread_time()
    preempted0 = resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw
    start = clock()
    if adapter is None and not timed:  # the floor, without the per-call timer
        append = sink.append
        for i in range(steps):
            d = dict(zip(keys, pool[i & 63], strict=True))
            append(d.copy())
            t1 = clock() if not i & 1023 else 0
            done += 1
            if not i & 1023 and t1 - start > deadline_ns:
                break
    elif adapter is None:  # the floor: copy the row, append the copy; no call, nothing written
        append = sink.append
        for i in range(steps):
            d = dict(zip(keys, pool[i & 63], strict=True))
            t0 = clock()
            append(d.copy())
            t1 = clock()
            lat[i] = t1 - t0
            done += 1
            if not i & 1023 and t1 - start > deadline_ns:
                break
    elif adapter.takes_step:
        log = adapter.log
        for i in range(steps):
            d = dict(zip(keys, pool[i & 63], strict=True))
            if timed:
                t0 = clock()
                log(d, i)
                t1 = clock()
                lat[i] = t1 - t0
            else:
                log(d, i)
                t1 = clock() if not i & 1023 else 0
            done += 1
            if not i & 1023 and t1 - start > deadline_ns:
                break
    else:
        log = adapter.log
        for i in range(steps):
            d = dict(zip(keys, pool[i & 63], strict=True))
            if timed:
                t0 = clock()
                log(d)
                t1 = clock()
                lat[i] = t1 - t0
            else:
                log(d)
                t1 = clock() if not i & 1023 else 0
            done += 1
            if not i & 1023 and t1 - start > deadline_ns:
                break
    logged = clock()
    if adapter is not None:
        adapter.finish()
    end = clock()
    cpu, main_cpu = time.process_time() - cpu0, time.thread_time() - main0
    preempted = resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw - preempted0

    out: dict[str, Any] = {
        "lib": lib,
        "version": adapter.version if adapter is not None else "",
        "width": width,
        "steps": done,
        "points": done * width,
        "timer_overhead_ns": overhead,
        "log_loop_s": (logged - start) / 1e9,
        "finish_s": (end - logged) / 1e9,
        "points_per_s": done * width / ((end - start) / 1e9),
        # CPU time is steadier than wall time on a shared machine: the whole process per row, and
        # the part other threads (the library's writer) spent, which the caller feels through the GIL.
        "cpu_us_per_row": cpu / done * 1e6 if done else None,
        "other_threads_cpu_us_per_row": (cpu - main_cpu) / done * 1e6 if done else None,
        # Times the OS took the CPU away from this process (other processes wanted it): each can
        # add milliseconds to one call, so a high count inflates the mean on a busy machine.
        "preempted": preempted,
        "rss0_mb": rss0,
        "peak_rss_mb": _peak_rss_mb(),
        "bytes_on_disk": _folder_bytes(folder),
    }
    out["bytes_per_point"] = out["bytes_on_disk"] / out["points"] if out["points"] else None
    if timed and done:
        ordered = sorted(lat[:done])
        out["median_us"] = max(0, ordered[done // 2] - overhead) / 1000
        out["p95_us"] = max(0, _percentile(ordered, 0.95) - overhead) / 1000
        out["max_us"] = max(0, ordered[-1] - overhead) / 1000
        # The mean shows what the median hides: calls that wait (backpressure, GIL hand-offs).
        out["mean_us"] = max(0.0, sum(ordered) / done - overhead) / 1000
    return out


def worker_main(args: argparse.Namespace) -> int:
    try:
        res = run_worker(
            args.worker,
            args.width,
            args.steps,
            Path(args.dir),
            args.max_seconds,
            timed=not args.untimed,
        )
    except BaseException as exc:  # report, don't crash the parent's table
        tb = traceback.format_exc().strip().splitlines()
        last = tb[-1] if tb else repr(exc)
        res = {"lib": args.worker, "width": args.width, "error": last}
        print(RESULT_PREFIX + json.dumps(res), flush=True)
        sys.stdout.flush()
        os._exit(1)
    print(RESULT_PREFIX + json.dumps(res), flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # Some libraries (aim, wandb) leave threads or atexit hooks that can hang on exit; the figures
    # are out, so leave without them.
    os._exit(0)


# --------------------------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------------------------


def _anchor_python(args: argparse.Namespace) -> str:
    return str(args.anchor_python or os.environ.get("RUNYARD_BENCH_PYTHON") or sys.executable)


def _installed(python: str, module: str) -> tuple[bool, str]:
    probe = f"import importlib.util,sys; sys.exit(0 if importlib.util.find_spec({module!r}) else 3)"
    try:
        proc = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return proc.returncode == 0, (proc.stderr.strip().splitlines() or [""])[-1]


def _worker_env(lib: str, folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "WANDB_MODE": "offline",
            "WANDB_DIR": str(folder),
            "WANDB_CACHE_DIR": str(folder / ".wandb-cache"),
            "WANDB_CONFIG_DIR": str(folder / ".wandb-config"),
            "WANDB_DATA_DIR": str(folder / ".wandb-data"),
            "WANDB_SILENT": "true",
            "TRACKIO_DIR": str(folder / "trackio"),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "MLFLOW_ENABLE_TELEMETRY": "false",
            "DO_NOT_TRACK": "1",
            "AIM_UI_TELEMETRY_ENABLED": "0",
        }
    )
    return env


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def run_one(
    python: str,
    lib: str,
    width: int,
    steps: int,
    timeout: float,
    max_seconds: float,
    untimed: bool = False,
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"runyard-bench-{lib}-{width}-"))
    cmd = [
        python,
        str(Path(__file__).resolve()),
        "--worker",
        lib,
        "--width",
        str(width),
        "--steps",
        str(steps),
        "--dir",
        str(folder / "run"),
        "--max-seconds",
        str(max_seconds),
    ]
    if untimed:
        cmd.append("--untimed")
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_worker_env(lib, folder / "run"),
            cwd=str(folder),
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        res: dict[str, Any] = {"lib": lib, "width": width, "error": f"timed out after {timeout:.0f} s"}
        if _last_line(err):
            res["error"] += f" (last stderr: {_last_line(err)})"
        return res
    finally:
        wall = time.monotonic() - t0
        shutil.rmtree(folder, ignore_errors=True)
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if found:
        res = json.loads(found[-1][len(RESULT_PREFIX) :])
    else:
        last = _last_line(proc.stderr) or _last_line(proc.stdout) or f"exit code {proc.returncode}"
        res = {"lib": lib, "width": width, "error": last}
    res["worker_wall_s"] = round(wall, 2)
    return res


def _fmt(v: Any, spec: str) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and v != v:
        return "nan"
    return format(v, spec)


def _ratio(a: Any, b: Any) -> float | None:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or not b:
        return None
    return a / b


FIGURES = ("median_us", "p95_us", "mean_us", "points_per_s", "cpu_us_per_row", "peak_rss_mb", "bytes_per_point")


def print_table(results: list[dict[str, Any]]) -> None:
    head = (
        f"{'library':<13} {'width':>5} {'steps':>7} {'median µs':>10} {'×':>7} {'p95 µs':>9} {'×':>7} "
        f"{'mean µs':>9} "
        f"{'CPU µs/row':>10} {'other thr':>9} "
        f"{'points/s':>11} {'×':>7} {'peak RSS MB':>11} {'×':>6} {'B/point':>8} {'×':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        if "error" in r:
            print(f"{r['lib']:<13} {r['width']:>5}  FAILED: {r['error']}")
            continue
        ra = r.get("ratio_to_runyard", {})

        def x(name: str, ra: dict[str, Any] = ra) -> str:
            return _fmt(ra.get(name), ".3g")

        print(
            f"{r['lib']:<13} {r['width']:>5} {r['steps']:>7} {_fmt(r.get('median_us'), '.2f'):>10} "
            f"{x('median_us'):>7} {_fmt(r.get('p95_us'), '.2f'):>9} {x('p95_us'):>7} "
            f"{_fmt(r.get('mean_us'), '.2f'):>9} "
            f"{_fmt(r.get('cpu_us_per_row'), '.2f'):>10} {_fmt(r.get('other_threads_cpu_us_per_row'), '.2f'):>9} "
            f"{_fmt(r.get('points_per_s'), ',.0f'):>11} {x('points_per_s'):>7} "
            f"{_fmt(r.get('peak_rss_mb'), '.1f'):>11} {x('peak_rss_mb'):>6} "
            f"{_fmt(r.get('bytes_per_point'), '.2f'):>8} {x('bytes_per_point'):>7}"
        )


def parent_main(args: argparse.Namespace) -> int:
    libs: list[str] = []
    for name in (args.libs or ",".join(ALL_LIBS)).split(","):
        name = name.strip()
        if not name:
            continue
        expanded = ["mlflow-sync", "mlflow-async"] if name == "mlflow" else [name]
        for lib in expanded:
            lookup = {k.lower(): k for k in ALL_LIBS}
            if lib.lower() not in lookup:
                print(f"unknown library {lib!r}; choose from {', '.join(ALL_LIBS)}", file=sys.stderr)
                return 2
            if lookup[lib.lower()] not in libs:
                libs.append(lookup[lib.lower()])
    widths = [int(w) for w in args.widths.split(",")] if args.widths else list(WIDTHS)
    anchor_python = _anchor_python(args)
    timeout = args.timeout or (60.0 if args.quick else 240.0)
    max_seconds = args.max_seconds or (5.0 if args.quick else 20.0)

    print(f"runyard log() overhead benchmark; python {sys.version.split()[0]} ({sys.executable})")
    print(f"anchors run in {anchor_python}")
    print(
        "per-call times: perf_counter_ns() around each call, minus the median cost of an empty timer "
        "pair; points/s: first log() to finish() returning (row-building included); CPU µs/row: process CPU "
        "time over the same span per row (timer included), other thr: the part spent by threads other than the caller; "
        "× = this library's figure ÷ runyard's at the same width"
    )
    print("machine: shared, 2 cores here; figures are noisy, compare orders of magnitude", flush=True)

    not_installed: list[str] = []
    runnable: list[str] = []
    for lib in libs:
        if lib in LOCAL_LIBS:
            runnable.append(lib)
            continue
        ok, _why = _installed(anchor_python, ANCHOR_MODULES[lib])
        if ok:
            runnable.append(lib)
        else:
            not_installed.append(lib)
            print(f"{lib}: not installed", flush=True)

    results: list[dict[str, Any]] = []
    for width in widths:
        for lib in runnable:
            idx = WIDTHS.index(width) if width in WIDTHS else -1
            steps = args.steps or DEFAULT_STEPS[lib][idx]
            if args.quick and not args.steps:
                steps = max(50, steps // QUICK_DIVISOR)
            python = sys.executable if lib in LOCAL_LIBS else anchor_python
            res = run_one(python, lib, width, steps, timeout, max_seconds)
            results.append(res)
            if "error" in res:
                print(f"  {lib} width {width}: FAILED: {res['error']}", file=sys.stderr, flush=True)
            else:
                print(
                    f"  {lib} width {width}: {res['steps']} steps, "
                    f"median {_fmt(res.get('median_us'), '.2f')} µs, "
                    f"{_fmt(res.get('points_per_s'), ',.0f')} points/s ({res['worker_wall_s']} s, "
                    f"preempted {res.get('preempted', '-')} times)",
                    file=sys.stderr,
                    flush=True,
                )

    by_key = {(r["lib"], r["width"]): r for r in results if "error" not in r}
    for r in results:
        if "error" in r:
            continue
        ref = by_key.get(("runyard", r["width"]))
        if ref is not None:
            r["ratio_to_runyard"] = {f: _ratio(r.get(f), ref.get(f)) for f in FIGURES}

    print()
    print_table(results)

    floor: dict[str, Any] = {}
    for width in widths:
        ry, base = by_key.get(("runyard", width)), by_key.get(("baseline", width))
        if ry and base:
            floor[str(width)] = {
                "runyard_median_us": ry.get("median_us"),
                "baseline_median_us": base.get("median_us"),
                "multiple_of_floor": _ratio(ry.get("median_us"), base.get("median_us")),
            }
    if floor:
        print()
        for w, f in floor.items():
            print(
                f"floor, width {w}: dict copy + append {_fmt(f['baseline_median_us'], '.3f')} µs; "
                f"runyard log() {_fmt(f['runyard_median_us'], '.2f')} µs = "
                f"{_fmt(f['multiple_of_floor'], '.1f')}× the floor"
            )

    # End to end without the per-call timer (two clock reads and a store per row, which the loop
    # above pays, about as much as runyard's log() itself): runyard beside the bare loop.
    untimed: dict[str, Any] = {}
    if "runyard" in runnable and "baseline" in runnable:
        print()
        for width in widths:
            idx = WIDTHS.index(width) if width in WIDTHS else -1
            # at least a million points: finish() and the first block are fixed costs
            steps = args.steps or max(DEFAULT_STEPS["runyard"][idx], E2E_POINTS // width)
            if args.quick and not args.steps:
                steps = max(50, steps // QUICK_DIVISOR)
            pair = {lib: run_one(sys.executable, lib, width, steps, timeout, max_seconds, untimed=True)
                    for lib in ("runyard", "baseline")}
            ry, base = pair["runyard"].get("points_per_s"), pair["baseline"].get("points_per_s")
            untimed[str(width)] = {"runyard_points_per_s": ry, "baseline_points_per_s": base,
                                   "fraction_of_floor": _ratio(ry, base)}
            print(f"end to end without the per-call timer, width {width}, {steps:,} steps: runyard "
                  f"{_fmt(ry, ',.0f')} points/s, "
                  f"the bare loop {_fmt(base, ',.0f')} points/s (runyard = {_fmt(_ratio(ry, base), '.2f')} of it)")

    memory: dict[str, Any] | None = None
    if not args.skip_memory and "runyard" in runnable:
        msteps = args.memory_steps or (MEMORY_STEPS // QUICK_DIVISOR if args.quick else MEMORY_STEPS)
        memory = run_one(sys.executable, "runyard", MEMORY_WIDTH, msteps, max(timeout, 600.0), 3600.0, untimed=True)
        print()
        if "error" in memory:
            print(f"memory: runyard, {msteps:,} steps of {MEMORY_WIDTH} floats: FAILED: {memory['error']}")
        else:
            print(
                f"memory: runyard, {memory['steps']:,} steps of {MEMORY_WIDTH} floats as fast as possible: "
                f"peak RSS {memory['peak_rss_mb']:.1f} MB (RSS before logging {memory['rss0_mb']:.1f} MB), "
                f"{memory['points_per_s']:,.0f} points/s end-to-end "
                f"(log loop {memory['log_loop_s']:.2f} s, finish {memory['finish_s']:.2f} s), "
                f"{memory['bytes_per_point']:.2f} B/point"
            )

    failed = {f"{r['lib']}/{r['width']}": r["error"] for r in results if "error" in r}
    versions = {r["lib"]: r.get("version", "") for r in results if "error" not in r}
    summary = {
        "benchmark": "log_overhead",
        "python": sys.version.split()[0],
        "anchor_python": anchor_python,
        "quick": bool(args.quick),
        "widths": widths,
        "results": results,
        "floor": floor,
        "untimed": untimed,
        "memory": memory,
        "not_installed": not_installed,
        "failed": failed,
        "versions": versions,
    }
    print(json.dumps(summary, separators=(",", ":")), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--libs", help=f"comma list out of {', '.join(ALL_LIBS)} (mlflow = both); default all")
    p.add_argument("--widths", help="comma list of row widths; default 1,10,100")
    p.add_argument("--steps", type=int, help="steps per worker (default: per library, see DEFAULT_STEPS)")
    p.add_argument("--quick", action="store_true", help="smoke run: 1/50 of the steps, shorter timeouts")
    p.add_argument("--skip-memory", action="store_true", help="skip the 1,000,000-step memory workload")
    p.add_argument("--memory-steps", type=int, help=f"steps of the memory workload (default {MEMORY_STEPS:,})")
    p.add_argument("--anchor-python", help="interpreter for the anchors (default $RUNYARD_BENCH_PYTHON)")
    p.add_argument("--timeout", type=float, help="seconds before a worker is killed (default 240, quick 60)")
    p.add_argument("--max-seconds", type=float, help="a worker stops logging after this long (default 20)")
    # worker mode
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--width", type=int, default=10, help=argparse.SUPPRESS)
    p.add_argument("--dir", help=argparse.SUPPRESS)
    p.add_argument("--untimed", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        if not args.dir or not args.steps:
            p.error("--worker needs --dir and --steps")
        if not args.max_seconds:
            args.max_seconds = 20.0
        return worker_main(args)
    return parent_main(args)


if __name__ == "__main__":
    sys.exit(main())
