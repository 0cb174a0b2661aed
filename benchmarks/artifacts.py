#!/usr/bin/env python3
"""What do artifacts cost? ``log_artifact`` / ``download`` of a folder, against ``cp`` and MLflow.

The data: a folder of ``--files`` files (default 1,000) of random bytes, ``--total-mb`` in all
(default 1,024 MB), written once. Per repeat (``--repeats``, default 3), each in a fresh root:

* ``cp -r`` of the folder (the disk's copy speed, the baseline);
* ``run.log_artifact(folder)``: the time the call takes on the caller's thread (it walks the
  folder and hands the rest to the uploader), and the time until the version is committed
  (``wait()``), i.e. the upload to the local blob store, as MB/s and as a fraction of ``cp``'s;
* logging the same folder again: its time as a fraction of the first, and the bytes it added
  to the blob store (none expected);
* ``download()`` into an empty folder (a fresh copy), then again into the same folder (the cached
  case: files already there with the right hash are not copied), as a ratio.

MLflow's ``log_artifacts`` / ``download_artifacts`` (local file store) run on the same folder in
``--anchor-python`` (default ``$RUNYARD_BENCH_PYTHON``), an interpreter with ``mlflow`` (or
``mlflow-skinny``) installed apart from runyard's; without one they are reported as not run.

Means and medians are printed side by side; the last line is one JSON object of every figure.

    python benchmarks/artifacts.py                      # 1 GB of 1,000 files, 3 repeats
    python benchmarks/artifacts.py --quick              # 64 MB of 100 files, 1 repeat
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(REPO_SRC))

MLFLOW_SCRIPT = r"""
import json, os, shutil, sys, time
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # the local store is what is compared
import mlflow
from mlflow.tracking import MlflowClient
data, work = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri("file://" + os.path.join(work, "mlruns"))
t0 = time.perf_counter()
with mlflow.start_run() as run:
    t1 = time.perf_counter()
    mlflow.log_artifacts(data, artifact_path="data")
    t2 = time.perf_counter()
dst = os.path.join(work, "dl")
os.makedirs(dst)
t3 = time.perf_counter()
mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="data", dst_path=dst)
t4 = time.perf_counter()
mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="data", dst_path=dst)
t5 = time.perf_counter()
print("RESULT " + json.dumps({"log_s": t2 - t1, "download_s": t4 - t3, "download_again_s": t5 - t4,
                              "version": mlflow.__version__}))
"""


def make_data(folder: Path, files: int, total: int) -> None:
    folder.mkdir(parents=True)
    per = total // files
    block = os.urandom(1 << 20)
    for i in range(files):
        sub = folder / f"part{i % 10}" / f"file{i:05d}.bin"
        sub.parent.mkdir(exist_ok=True)
        with open(sub, "wb") as f:
            f.write(i.to_bytes(8, "little"))  # every file unique
            left = per - 8
            while left > 0:
                n = min(left, len(block))
                f.write(block[:n])
                left -= n
            block = block[7:] + block[:7]  # and no two files share a block layout


def du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def sync() -> None:
    os.sync()  # dirty pages of the previous step must not be flushed during the next one


def one_repeat(data: Path, work: Path, total: int) -> dict[str, float]:
    import runyard
    from runyard.artifacts.context import reset_contexts

    out: dict[str, float] = {}
    sync()
    t, c = time.perf_counter(), cpu(resource.RUSAGE_CHILDREN)
    subprocess.run(["cp", "-r", str(data), str(work / "cp")], check=True)
    out["cp_cpu_s"] = cpu(resource.RUSAGE_CHILDREN) - c
    sync()
    out["cp_s"] = time.perf_counter() - t
    shutil.rmtree(work / "cp")

    root = work / "runs"
    run = runyard.init(project="bench", dir=root, settings={"console": "off"})
    warm = work / "warm.txt"
    warm.write_text("warm-up")  # the first call of a process pays imports: measured apart
    t = time.perf_counter()
    run.log_artifact(warm, name="warm").wait()
    out["first_call_cold_ms"] = (time.perf_counter() - t) * 1e3
    sync()
    t, c = time.perf_counter(), cpu(resource.RUSAGE_SELF)
    art = run.log_artifact(data, name="data", type="dataset")
    out["log_call_ms"] = (time.perf_counter() - t) * 1e3
    art.wait()
    out["log_s"] = time.perf_counter() - t
    out["upload_cpu_s"] = cpu(resource.RUSAGE_SELF) - c  # every thread of this process
    sync()
    out["log_s_synced"] = time.perf_counter() - t
    out["upload_mb_s"] = total / 1e6 / out["log_s_synced"]
    blobs_before = du(root / ".blobs")
    t = time.perf_counter()
    again = run.log_artifact(data, name="data", type="dataset")
    out["relog_call_ms"] = (time.perf_counter() - t) * 1e3
    again.wait()
    out["relog_s"] = time.perf_counter() - t
    out["relog_new_bytes"] = du(root / ".blobs") - blobs_before
    out["relog_same_version"] = float(again.version == art.version)
    run.finish()

    got = runyard.Api(root=root).artifact("bench/data:latest")
    dest = work / "download"
    sync()
    t = time.perf_counter()
    got.download(dest)
    sync()
    out["download_s"] = time.perf_counter() - t
    t = time.perf_counter()
    got.download(dest)
    out["download_cached_s"] = time.perf_counter() - t
    runyard.unset()
    reset_contexts()
    return out


def mlflow_repeat(python: str, data: Path, work: Path) -> dict[str, Any]:
    proc = subprocess.run([python, "-c", MLFLOW_SCRIPT, str(data), str(work)], capture_output=True, text=True,
                          timeout=3600)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]}
    result: dict[str, Any] = json.loads(line[len("RESULT "):])
    return result


def stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "mean": statistics.fmean(values),
            "min": min(values), "max": max(values)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--total-mb", type=float, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="100 files, 64 MB, 1 repeat")
    ap.add_argument("--anchor-python", default=os.environ.get("RUNYARD_BENCH_PYTHON", ""),
                    help="interpreter with mlflow installed (default $RUNYARD_BENCH_PYTHON)")
    ap.add_argument("--workdir", default=None, help="where to write the data (default: a temporary folder)")
    args = ap.parse_args()
    if args.quick:
        args.files, args.total_mb, args.repeats = 100, 64, 1
    total = int(args.total_mb * 1e6)
    base = Path(tempfile.mkdtemp(prefix="runyard-artifacts-bench-", dir=args.workdir))
    report: dict[str, Any] = {"files": args.files, "total_bytes": total, "repeats": args.repeats,
                              "loadavg_before": os.getloadavg()[0]}
    try:
        data = base / "data"
        make_data(data, args.files, total)
        rows = []
        for i in range(args.repeats):
            work = base / f"r{i}"
            work.mkdir()
            rows.append(one_repeat(data, work, total))
            shutil.rmtree(work)
        figures = {k: stats([r[k] for r in rows]) for k in rows[0]}
        report["runyard"] = figures
        med = {k: v["median"] for k, v in figures.items()}
        mean = {k: v["mean"] for k, v in figures.items()}
        cp_mb_s = total / 1e6 / med["cp_s"]
        report["ratios"] = {
            "upload_vs_cp_speed": med["cp_s"] / med["log_s_synced"],
            "upload_vs_cp_speed_mean": mean["cp_s"] / mean["log_s_synced"],
            "upload_vs_cp_speed_best": figures["cp_s"]["min"] / figures["log_s_synced"]["min"],
            "upload_cpu_vs_cp_cpu": med["upload_cpu_s"] / med["cp_cpu_s"],
            "relog_vs_first_time": med["relog_s"] / med["log_s"],
            "relog_vs_first_time_mean": mean["relog_s"] / mean["log_s"],
            "cached_download_vs_fresh": med["download_cached_s"] / med["download_s"],
            "cached_download_vs_fresh_mean": mean["download_cached_s"] / mean["download_s"],
        }
        report["loadavg_after"] = os.getloadavg()[0]
        print(f"data: {args.files} files, {total / 1e6:.0f} MB; {args.repeats} repeat(s); median (mean); "
              f"load average {report['loadavg_before']:.2f} before, {report['loadavg_after']:.2f} after "
              f"on {os.cpu_count()} cores")
        print(f"cp -r                       {med['cp_s']:8.3f} s ({mean['cp_s']:.3f})   {cp_mb_s:7.0f} MB/s")
        print(f"log_artifact call           {med['log_call_ms']:8.1f} ms ({mean['log_call_ms']:.1f})   "
              f"target <= 50 ms; first log_artifact+wait of a process {med['first_call_cold_ms']:.1f} ms")
        print(f"upload until committed      {med['log_s_synced']:8.3f} s ({mean['log_s_synced']:.3f})   "
              f"{med['upload_mb_s']:7.0f} MB/s = {report['ratios']['upload_vs_cp_speed']:.0%} of cp (target >= 80%); "
              f"best of each {report['ratios']['upload_vs_cp_speed_best']:.0%}")
        print(f"CPU time (user+sys)         upload {med['upload_cpu_s']:.3f} s, cp {med['cp_cpu_s']:.3f} s: "
              f"{report['ratios']['upload_cpu_vs_cp_cpu']:.2f}x (the upload also computes SHA-256 of every byte)")
        print(f"relog unchanged             {med['relog_s']:8.3f} s ({mean['relog_s']:.3f})   "
              f"{report['ratios']['relog_vs_first_time']:.1%} of the first (target <= 10%), "
              f"{int(med['relog_new_bytes'])} new bytes, same version: {bool(med['relog_same_version'])}")
        print(f"download fresh              {med['download_s']:8.3f} s ({mean['download_s']:.3f})")
        print(f"download cached             {med['download_cached_s']:8.3f} s ({mean['download_cached_s']:.3f})   "
              f"{report['ratios']['cached_download_vs_fresh']:.1%} of fresh (target <= 5%)")
        if args.anchor_python:
            ml_rows = []
            for i in range(args.repeats):
                work = base / f"m{i}"
                work.mkdir()
                ml_rows.append(mlflow_repeat(args.anchor_python, data, work))
                shutil.rmtree(work)
            if any("error" in r for r in ml_rows):
                report["mlflow"] = {"error": next(r["error"] for r in ml_rows if "error" in r)}
                print(f"mlflow: {report['mlflow']['error']}")
            else:
                ml = {k: stats([r[k] for r in ml_rows]) for k in ("log_s", "download_s", "download_again_s")}
                report["mlflow"] = {"version": ml_rows[0]["version"], **ml}
                mm = {k: v["median"] for k, v in ml.items()}
                report["ratios"].update({
                    "mlflow_log_vs_runyard": mm["log_s"] / med["log_s"],
                    "mlflow_download_vs_runyard": mm["download_s"] / med["download_s"],
                    "mlflow_download_again_vs_runyard_cached": mm["download_again_s"] / med["download_cached_s"],
                })
                print(f"mlflow {ml_rows[0]['version']} log_artifacts {mm['log_s']:8.3f} s "
                      f"({report['ratios']['mlflow_log_vs_runyard']:.2f}x runyard's upload); download "
                      f"{mm['download_s']:.3f} s ({report['ratios']['mlflow_download_vs_runyard']:.2f}x); again "
                      f"{mm['download_again_s']:.3f} s "
                      f"({report['ratios']['mlflow_download_again_vs_runyard_cached']:.1f}x runyard's cached)")
        else:
            report["mlflow"] = {"error": "not run: pass --anchor-python with mlflow installed"}
            print("mlflow: not run (pass --anchor-python or set RUNYARD_BENCH_PYTHON to an interpreter with mlflow)")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
