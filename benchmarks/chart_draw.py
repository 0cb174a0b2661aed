#!/usr/bin/env python3
"""How long does the UI take to draw a chart of 100 runs x 1,000,000 points once its data arrives?

Data: ``--runs`` runs (default 100) each logging one key, ``loss``, for ``--steps`` steps (default
1,000,000) through the SDK, with spikes in both directions, in ``--jobs`` processes. The data is
reused when it is already in ``--dir``. It is served by ``runyard.server.create_app`` in a process of
its own on a free loopback port (the first start indexes it), and the project's workspace is opened ``--repeat``
times in Debian's chromium (Playwright) at 1400x900.

The chart records a ``runyard:chart-draw`` User Timing entry when it has drawn newly loaded data
(docs/ui.md, "Line charts"). Reported per opening:

* **response to drawn** (the target: <= 300 ms): from the end of the ``/series`` response (the
  browser's Resource Timing ``responseEnd``) to the end of the drawing; it includes parsing the
  JSON and turning it into tracks;
* **parsed to drawn**: the measure's own duration, from the tracks being ready to the end of the
  drawing;
* the lines, buckets and points drawn, and the server's own time for the query (``elapsed_ms``).

Medians and means are printed side by side; the last line is one JSON object.

    python benchmarks/chart_draw.py                                   # 100 x 1,000,000
    python benchmarks/chart_draw.py --runs 10 --steps 100000 --dir /tmp/cd   # a quick look
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ui_load import ARGS, CHROMIUM, serve  # noqa: E402

PROJECT = "bench-chart"

LOG_RUNS = """
import math, sys, runyard
root, first, last, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for r in range(first, last):
    run = runyard.init(dir=root, project="bench-chart", name=f"chart-{r}", config={"r": r},
                       settings={"console": "off", "system_metrics": False})
    log = run.log
    for s in range(steps):
        v = math.exp(-s / (steps / 4)) + 0.05 * math.sin(s / 997 + r) + 0.01 * r
        if s % 99_991 == r:
            v += 4.0   # a spike up
        elif s % 77_003 == r:
            v -= 3.0   # and one down
        log({"loss": v})
    run.finish()
"""

DRAWS = """() => performance.getEntriesByName('runyard:chart-draw').map(e => ({
  start: e.startTime, end: e.startTime + e.duration, duration: e.duration, detail: e.detail }))"""

SERIES = """() => performance.getEntriesByType('resource').filter(e => e.name.includes('/series?')).map(e => ({
  url: e.name, start: e.startTime, responseEnd: e.responseEnd, bytes: e.encodedBodySize,
  decoded: e.decodedBodySize }))"""

DRAWN = "(runs) => performance.getEntriesByName('runyard:chart-draw').some(e => e.detail.lines >= runs)"


def log_data(root: Path, runs: int, steps: int, jobs: int) -> None:
    marker = root / f".chart-{runs}x{steps}"
    if marker.exists():
        print(f"reusing the data in {root}")
        return
    started = time.perf_counter()
    per = math.ceil(runs / jobs)
    procs = [subprocess.Popen([sys.executable, "-c", LOG_RUNS, str(root), str(a), str(min(runs, a + per)), str(steps)])
             for a in range(0, runs, per)]
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("logging the benchmark data failed")
    marker.touch()
    print(f"logged {runs} runs x {steps:,} steps in {time.perf_counter() - started:.1f} s")


def one_opening(page: Any, url: str, runs: int) -> dict[str, Any]:
    page.goto(f"{url}/p/{PROJECT}")
    page.wait_for_function(DRAWN, arg=runs, timeout=600_000, polling=50)
    draws = [d for d in page.evaluate(DRAWS) if d["detail"]["lines"] >= runs]
    series = page.evaluate(SERIES)
    draw = draws[0]
    # the response the drawing came from: the last /series response that ended before it began
    before = [s for s in series if s["responseEnd"] <= draw["start"]]
    if not before:
        raise SystemExit("no /series response before the chart was drawn")
    resp = max(before, key=lambda s: s["responseEnd"])
    return {"response_to_drawn_ms": round(draw["end"] - resp["responseEnd"], 1),
            "parsed_to_drawn_ms": round(draw["duration"], 1), "lines": draw["detail"]["lines"],
            "buckets": draw["detail"]["buckets"], "points": draw["detail"]["points"],
            "response_bytes": resp["bytes"], "response_json_bytes": resp["decoded"],
            "max_points": int(resp["url"].rsplit("max_points=", 1)[-1].split("&")[0])}


def summarize(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"openings": rows}
    for k in ("response_to_drawn_ms", "parsed_to_drawn_ms"):
        xs = [r[k] for r in rows]
        out[k] = {"median": round(statistics.median(xs), 1), "mean": round(statistics.fmean(xs), 1),
                  "max": round(max(xs), 1)}
    r0 = rows[0]
    print(f"{name}: {r0['lines']} lines, {r0['points']:,} points as {r0['buckets']:,} buckets "
          f"({r0['response_json_bytes'] / 1e6:.1f} MB of JSON): response to drawn "
          f"median {out['response_to_drawn_ms']['median']} ms, mean {out['response_to_drawn_ms']['mean']} ms, "
          f"max {out['response_to_drawn_ms']['max']} ms (target <= 300 ms); parsed to drawn median "
          f"{out['parsed_to_drawn_ms']['median']} ms")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=Path("benchmarks/out/chart_draw"))
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    root = a.dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    log_data(root, a.runs, a.steps, a.jobs)
    t = time.perf_counter()
    url, server = serve(root)  # a process of its own
    print(f"server up (index built) in {time.perf_counter() - t:.1f} s")

    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {"runs": a.runs, "steps": a.steps, "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            rows = [one_opening(page, url, a.runs) for _ in range(a.repeat)]
            out["chart"] = summarize(f"chart of {a.runs} runs x {a.steps:,} steps", rows)
            browser.close()
        with urlopen(f"{url}/api/projects/{PROJECT}/runs") as r:
            ids = ",".join(run["id"] for run in json.load(r)["runs"][:a.runs])
        with urlopen(f"{url}/api/projects/{PROJECT}/series?runs={ids}&key=loss&max_points=400") as r:
            q = json.load(r)
        out["server_query_ms"] = q["elapsed_ms"]
        print(f"the server's own time for the {a.runs}-run query: {q['elapsed_ms']:.0f} ms")
    finally:
        server.terminate()
        server.wait(30)
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"load average before {out['loadavg_before']}, after {out['loadavg_after']}")
    print(json.dumps(out))  # the last line: one JSON object


if __name__ == "__main__":
    main()
