#!/usr/bin/env python3
"""What does logging media cost? runyard against the trackers it replaces.

Workloads (each logged value is made unique per step, outside the timed call, so content
addressing cannot skip work):

* ``image``: ``log({"img": Image(256×256×3 uint8 noise)})`` — noise is the worst case for PNG;
* ``audio``: ``log({"audio": Audio(1 s of float32 at 16 kHz, sample_rate=16000)})``;
* ``video``: ``log({"video": Video(16 frames of 3×64×64 uint8, fps=4)})`` (GIF, the default);
* ``table``: ``log({"table": Table(columns=[3], data=1,000 rows)})``.

Per library and workload, in its own subprocess (``--worker LIB --workload W``):

* the median and p95 microseconds of one ``log({...: Media(...)})`` call on the caller's thread,
  *including* building the media object (what a training loop pays), timed with
  ``perf_counter_ns``;
* items per second until ``finish()`` (or the library's equivalent) returns: N divided by the wall
  time from just before the first call to the end of ``finish()``, i.e. until every file is
  written;
* bytes on disk per item.

Then, in this interpreter, runyard's own pieces: ``Image()`` construction, PNG encoding with
runyard's writer against Pillow's (level 1 and default 6), WAV, GIF and MP4 encoding.

Anchors (wandb offline, MLflow with a local SQLite store, Trackio, Aim, tensorboardX) run in
``--anchor-python`` (default ``$RUNYARD_BENCH_PYTHON``, else ``/work/bench-venv/bin/python`` when it
exists, else this interpreter) and are reported as "not installed" when it cannot import them. A
workload a library does not support (or whose optional dependency is missing there) is reported
with the reason. The last line printed is one JSON object of every figure.

    python benchmarks/media_overhead.py
    python benchmarks/media_overhead.py --quick --libs runyard
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_SRC = Path(__file__).resolve().parents[1] / "src"
RESULT_PREFIX = "RUNYARD_MEDIA_BENCH "
WORKLOADS = ("image", "audio", "video", "table")
ANCHOR_MODULES = {"wandb": "wandb", "mlflow": "mlflow", "trackio": "trackio", "aim": "aim",
                  "tensorboardX": "tensorboardX"}
ALL_LIBS = ("runyard", *ANCHOR_MODULES)
# items per worker: (image, audio, video, table); --quick divides by 5; --max-seconds caps anyway
DEFAULT_N = {"image": 300, "audio": 300, "video": 40, "table": 40}
DEFAULT_BENCH_VENV = Path("/work/bench-venv/bin/python")


class Unsupported(Exception):
    """The library has no way to log this workload."""


# -- data -------------------------------------------------------------------------------------


def make_data(workload: str) -> tuple[Any, Callable[[Any, int], None]]:
    """The workload's payload and a function that makes it unique for step ``i`` (untimed)."""
    import numpy as np

    rng = np.random.default_rng(0)
    if workload == "image":
        img = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)

        def vary_img(a: Any, i: int) -> None:
            a[0, 0, 0], a[0, 0, 1] = i % 256, (i // 256) % 256

        return img, vary_img
    if workload == "audio":
        tone = (0.5 * np.sin(np.linspace(0, 2 * np.pi * 440, 16000))).astype(np.float32)

        def vary_audio(a: Any, i: int) -> None:
            a[0] = (i % 1000) / 1000

        return tone, vary_audio
    if workload == "video":
        clip = rng.integers(0, 256, (16, 3, 64, 64), dtype=np.uint8)

        def vary_video(a: Any, i: int) -> None:
            # Shift every frame by a pixel: a one-pixel change can quantise to the same GIF bytes,
            # which content addressing would then store once.
            a[...] = np.roll(a, 1, axis=-1)

        return clip, vary_video
    rows = [[i, i * 0.5, f"row {i}"] for i in range(1000)]

    def vary_table(r: Any, i: int) -> None:
        r[0][0] = i

    return rows, vary_table


# -- adapters: (log(payload, step), finish()) per library ----------------------------------------


def adapter(lib: str, workload: str, folder: Path) -> tuple[Callable[[Any, int], None], Callable[[], None]]:
    folder.mkdir(parents=True, exist_ok=True)
    if lib == "runyard":
        sys.path.insert(0, str(REPO_SRC))
        import runyard
        from runyard import types as rt

        runyard.init(dir=folder, project="bench")
        log = runyard.log
        make: dict[str, Callable[[Any], Any]] = {
            "image": lambda a: {"img": rt.Image(a)},
            "audio": lambda a: {"audio": rt.Audio(a, sample_rate=16000)},
            "video": lambda a: {"video": rt.Video(a, fps=4)},
            "table": lambda r: {"table": rt.Table(columns=["i", "x", "s"], data=r)},
        }
        build = make[workload]
        return (lambda p, i: log(build(p))), runyard.finish
    if lib == "wandb":
        import wandb

        run = wandb.init(mode="offline", dir=str(folder), project="bench")
        make = {
            "image": lambda a: {"img": wandb.Image(a)},
            "audio": lambda a: {"audio": wandb.Audio(a, sample_rate=16000)},
            "video": lambda a: {"video": wandb.Video(a, fps=4, format="gif")},
            "table": lambda r: {"table": wandb.Table(columns=["i", "x", "s"], data=r)},
        }
        build = make[workload]
        return (lambda p, i: run.log(build(p))), run.finish
    if lib == "trackio":
        import trackio

        trackio.init(project="bench", embed=False)
        make = {
            "image": lambda a: {"img": trackio.Image(a)},
            "audio": lambda a: {"audio": trackio.Audio(a, sample_rate=16000)},
            "video": lambda a: {"video": trackio.Video(a, fps=4, format="gif")},
            "table": lambda r: {"table": trackio.Table(columns=["i", "x", "s"], data=r)},
        }
        build = make[workload]
        return (lambda p, i: trackio.log(build(p))), trackio.finish
    if lib == "mlflow":
        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
        mlflow.set_experiment("bench")
        mlflow.start_run()
        if workload == "image":
            return (lambda a, i: mlflow.log_image(a, key="img", step=i)), mlflow.end_run
        if workload == "table":
            def log_table(r: Any, i: int) -> None:
                cols = list(zip(*r, strict=True))
                mlflow.log_table({"i": cols[0], "x": cols[1], "s": cols[2]}, artifact_file=f"table_{i}.json")

            return log_table, mlflow.end_run
        mlflow.end_run()
        raise Unsupported(f"MLflow has no {workload} logging call")
    if lib == "aim":
        import aim

        run = aim.Run(repo=str(folder), experiment="bench")
        if workload == "image":
            return (lambda a, i: run.track(aim.Image(a), name="img", step=i)), run.close
        if workload == "audio":
            def log_audio(a: Any, i: int) -> None:
                run.track(aim.Audio(_wav_bytes(a), format="wav", rate=16000), name="audio", step=i)

            return log_audio, run.close
        run.close()
        raise Unsupported(f"Aim has no {workload} type")
    if lib == "tensorboardX":
        from tensorboardX import SummaryWriter

        writer = SummaryWriter(logdir=str(folder))
        if workload == "image":
            return (lambda a, i: writer.add_image("img", a, i, dataformats="HWC")), writer.close
        if workload == "audio":
            return (lambda a, i: writer.add_audio("audio", a, i, sample_rate=16000)), writer.close
        if workload == "video":
            return (lambda a, i: writer.add_video("video", a[None], i, fps=4)), writer.close
        writer.close()
        raise Unsupported("tensorboardX has no table type")
    raise SystemExit(f"unknown library {lib!r}")


def _wav_bytes(samples: Any) -> bytes:
    """16-bit WAV bytes (for Aim, which takes encoded audio), built inside the timed call."""
    import wave

    import numpy as np

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run_worker(lib: str, workload: str, n: int, folder: Path, max_seconds: float) -> dict[str, Any]:
    payload, vary = make_data(workload)
    res: dict[str, Any] = {"lib": lib, "workload": workload}
    try:
        log, finish = adapter(lib, workload, folder)
    except Unsupported as e:
        return {**res, "error": f"unsupported: {e}"}
    clock = time.perf_counter_ns
    calls: list[int] = []
    start = time.perf_counter()
    deadline = start + max_seconds
    for i in range(n):
        vary(payload, i)
        t0 = clock()
        log(payload, i)
        calls.append(clock() - t0)
        if time.perf_counter() > deadline:
            break
    finish()
    wall = time.perf_counter() - start
    calls.sort()
    done = len(calls)
    res.update(
        n=done,
        call_us_median=round(calls[done // 2] / 1000, 1),
        call_us_p95=round(calls[min(done - 1, int(done * 0.95))] / 1000, 1),
        items_per_s=round(done / wall, 1),
        bytes_per_item=round(_folder_bytes(folder) / done),
    )
    return res


# -- runyard's own pieces (this interpreter) ----------------------------------------------------


def _time_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 3)


def micro(quick: bool) -> dict[str, float]:
    sys.path.insert(0, str(REPO_SRC))
    import numpy as np
    from PIL import Image as PILImage

    from runyard.types import Audio, Image, MediaStore, Video
    from runyard.types._png import encode_png
    from runyard.types.audio import encode_wav
    from runyard.types.video import encode_ffmpeg, encode_gif, tile

    r = 20 if quick else 100
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:256, 0:256]
    smooth = np.stack([xx, yy, (xx + yy) // 2], -1).astype(np.uint8)
    out: dict[str, float] = {}
    out["image_construct_us"] = round(_time_ms(lambda: Image(noisy), r * 10) * 1000, 1)
    for name, arr in (("noise", noisy), ("gradient", smooth)):
        pil = PILImage.fromarray(arr)

        def pil_png(level: int, pil: Any = pil) -> bytes:
            buf = io.BytesIO()
            pil.save(buf, format="PNG", compress_level=level)
            return buf.getvalue()

        out[f"png_{name}_runyard_ms"] = _time_ms(lambda arr=arr: encode_png(arr), r)
        out[f"png_{name}_pillow_level1_ms"] = _time_ms(lambda: pil_png(1), r)
        out[f"png_{name}_pillow_level6_ms"] = _time_ms(lambda: pil_png(6), r)
        out[f"png_{name}_runyard_bytes"] = len(encode_png(arr))
        out[f"png_{name}_pillow_level6_bytes"] = len(pil_png(6))
    with tempfile.TemporaryDirectory() as tmp:
        store = MediaStore(tmp)
        out["image_to_ref_noise_ms"] = _time_ms(lambda: Image(noisy).to_ref(store), r)
        tone = (0.5 * np.sin(np.linspace(0, 2 * np.pi * 440, 16000))).astype(np.float32)
        out["audio_construct_us"] = round(_time_ms(lambda: Audio(tone, sample_rate=16000), r * 10) * 1000, 1)
        out["wav_encode_1s_ms"] = _time_ms(lambda: encode_wav(tone, 16000), r)
        clip = rng.integers(0, 256, (16, 3, 64, 64), dtype=np.uint8)
        out["video_construct_us"] = round(_time_ms(lambda: Video(clip), r * 10) * 1000, 1)
        frames = tile(clip[None])
        out["gif_encode_16x64x64_ms"] = _time_ms(lambda: encode_gif(frames, 4), max(3, r // 10))
        out["mp4_encode_16x64x64_ms"] = _time_ms(lambda: encode_ffmpeg(frames, 4, "mp4"), max(3, r // 10))
    return out


# -- parent -----------------------------------------------------------------------------------


def _anchor_python(args: argparse.Namespace) -> str:
    if args.anchor_python or os.environ.get("RUNYARD_BENCH_PYTHON"):
        return str(args.anchor_python or os.environ["RUNYARD_BENCH_PYTHON"])
    return str(DEFAULT_BENCH_VENV) if DEFAULT_BENCH_VENV.exists() else sys.executable


def _installed(python: str, module: str) -> bool:
    probe = f"import importlib.util,sys; sys.exit(0 if importlib.util.find_spec({module!r}) else 3)"
    try:
        return subprocess.run([python, "-c", probe], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _worker_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PYTHONUNBUFFERED": "1", "WANDB_MODE": "offline", "WANDB_DIR": str(folder), "WANDB_SILENT": "true",
        "WANDB_CACHE_DIR": str(folder / ".wandb-cache"), "WANDB_CONFIG_DIR": str(folder / ".wandb-config"),
        "WANDB_DATA_DIR": str(folder / ".wandb-data"), "TRACKIO_DIR": str(folder / "trackio"),
        "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
        "MLFLOW_ENABLE_TELEMETRY": "false", "DO_NOT_TRACK": "1", "AIM_UI_TELEMETRY_ENABLED": "0",
    })
    return env


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""


def run_one(python: str, lib: str, workload: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"runyard-media-bench-{lib}-{workload}-"))
    cmd = [python, str(Path(__file__).resolve()), "--worker", lib, "--workload", workload, "--n", str(n),
           "--dir", str(folder / "run"), "--max-seconds", str(args.max_seconds)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                              env=_worker_env(folder / "run"), cwd=str(folder))
    except subprocess.TimeoutExpired:
        return {"lib": lib, "workload": workload, "error": f"timed out after {args.timeout:.0f} s"}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if found:
        res: dict[str, Any] = json.loads(found[-1][len(RESULT_PREFIX):])
        return res
    last = _last_line(proc.stderr) or _last_line(proc.stdout) or f"exit code {proc.returncode}"
    return {"lib": lib, "workload": workload, "error": last}


def parent_main(args: argparse.Namespace) -> int:
    libs = [s.strip() for s in args.libs.split(",")] if args.libs else list(ALL_LIBS)
    workloads = [s.strip() for s in args.workloads.split(",")] if args.workloads else list(WORKLOADS)
    anchor_python = _anchor_python(args)
    report: dict[str, Any] = {"anchor_python": anchor_python, "results": [], "not_installed": []}
    print(f"runyard media overhead — anchors from {anchor_python}")
    for lib in libs:
        python = sys.executable
        if lib in ANCHOR_MODULES:
            python = anchor_python
            if not _installed(python, ANCHOR_MODULES[lib]):
                print(f"{lib}: not installed")
                report["not_installed"].append(lib)
                continue
        for workload in workloads:
            n = DEFAULT_N[workload] // (5 if args.quick else 1)
            res = run_one(python, lib, workload, n, args)
            report["results"].append(res)
            if "error" in res:
                print(f"{lib:13s} {workload:6s} n/a: {res['error']}")
            else:
                print(f"{lib:13s} {workload:6s} caller median {res['call_us_median']:>10.1f} µs  "
                      f"p95 {res['call_us_p95']:>10.1f} µs  {res['items_per_s']:>8.1f} items/s to finish  "
                      f"{res['bytes_per_item']:>9d} B/item  (n={res['n']})")
    ours = {r["workload"]: r for r in report["results"] if r["lib"] == "runyard" and "error" not in r}
    ratios: dict[str, dict[str, dict[str, float]]] = {}
    for r in report["results"]:
        base = ours.get(r["workload"])
        if r["lib"] == "runyard" or "error" in r or base is None:
            continue
        ratios.setdefault(r["lib"], {})[r["workload"]] = {
            "caller_cost_x_runyard": round(r["call_us_median"] / max(base["call_us_median"], 1e-9), 2),
            "runyard_throughput_x": round(base["items_per_s"] / max(r["items_per_s"], 1e-9), 2),
        }
    if ratios:
        print("\nratios (caller cost: anchor / runyard; throughput: runyard / anchor; > 1 favours runyard)")
        for lib, per in ratios.items():
            for workload, v in per.items():
                print(f"  {lib:13s} {workload:6s} caller cost ×{v['caller_cost_x_runyard']:<8} "
                      f"throughput ×{v['runyard_throughput_x']}")
    report["ratios"] = ratios
    if "runyard" in libs and not args.skip_micro:
        report["micro"] = micro(args.quick)
        print("\nrunyard pieces (median):")
        for k, v in report["micro"].items():
            print(f"  {k:34s} {v}")
    print(json.dumps(report, sort_keys=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--libs", help=f"comma list of {', '.join(ALL_LIBS)} (default: all)")
    p.add_argument("--workloads", help=f"comma list of {', '.join(WORKLOADS)} (default: all)")
    p.add_argument("--quick", action="store_true", help="a fifth of the items; fewer micro repeats")
    p.add_argument("--skip-micro", action="store_true", help="skip runyard's per-piece timings")
    p.add_argument("--anchor-python", help="interpreter that has the anchor libraries installed")
    p.add_argument("--max-seconds", type=float, default=30.0, help="stop logging after this long")
    p.add_argument("--timeout", type=float, default=300.0, help="kill a worker after this long")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    p.add_argument("--dir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        res = run_worker(args.worker, args.workload, args.n, Path(args.dir), args.max_seconds)
        print(RESULT_PREFIX + json.dumps(res), flush=True)
        return 0
    return parent_main(args)


if __name__ == "__main__":
    sys.exit(main())
