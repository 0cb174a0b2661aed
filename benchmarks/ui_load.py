#!/usr/bin/env python3
"""How fast does the web UI draw? (measured, not asserted in tests.)

1. A workspace of RUNS runs x METRICS metrics x STEPS steps (target: 100 x 50 x 100,000): the
   time from navigation until every line chart on the first screen is drawn (its canvas has ink),
   in Debian's chromium driven by Playwright. Target: <= 2 s. With --scale (target: 1,000 x 1,000
   x 100): the first chart drawn (<= 1 s), scrolling to the last section until its first chart is
   drawn (<= 0.5 s), the JS heap after the first screen, after scrolling and once the runs'
   summaries are in (<= 300 MB), and the API requests against the panels on screen;
   --waterfall prints when each API request of the first opening was sent and answered.
2. One chart of a BIG-point series (target: 10,000,000): the time from navigation until it is
   drawn, and the server's own time for the series query. Target: <= 300 ms for the chart.
3. The initial JavaScript a workspace needs, gzipped (the scripts the workspace page loads before
   its first chart is drawn). Target: <= 300 kB.

Data is logged through the SDK into --dir (reused when it is already there: logging 500 M points
takes a long while), then served with ``runyard.server.create_app`` on a free loopback port.
Smaller runs for a quick look::

    python benchmarks/ui_load.py --runs 20 --metrics 20 --steps 10000 --big 1000000

Prints one line per measurement and, with --json, a JSON document.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

LOG_WORKSPACE = """
import math, sys, runyard
root, first, last, metrics, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
keys = [f"group{m % 5}/metric{m}" for m in range(metrics)]
for r in range(first, last):
    run = runyard.init(dir=root, project="bench", name=f"bench-{r}", config={"r": r, "lr": 10 ** -(r % 5)})
    for s in range(steps):
        base = math.exp(-s / (steps / 4)) + 0.01 * r
        run.log({k: base * (1 + 0.1 * math.sin(s / 50 + i)) for i, k in enumerate(keys)})
    run.finish()
"""

LOG_BIG = """
import math, sys, runyard
root, n = sys.argv[1], int(sys.argv[2])
run = runyard.init(dir=root, project="bench-big", name="big")
for s in range(n):
    run.log({"big": math.sin(s / 1000) + (5.0 if s % 1_000_003 == 0 else 0.0)})
run.finish()
"""

INK_ALL = """() => {
  const panels = [...document.querySelectorAll('.panel[data-kind="line"]')].filter(p => {
    const r = p.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; });
  if (!panels.length) return false;
  return panels.every(p => {
    const c = p.querySelector('canvas'); if (!c) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4 * 7) if (d[i] !== 0) return true;
    return false; });
}"""


# a line panel inside `root` (a CSS selector) whose canvas has ink
INK_IN = """(root) => {
  const panels = [...document.querySelectorAll(root + ' .panel[data-kind="line"]')];
  return panels.some(p => {
    const c = p.querySelector('canvas'); if (!c || !c.width) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4 * 7) if (d[i] !== 0) return true;
    return false; });
}"""

ON_SCREEN = """() => [...document.querySelectorAll('.panel[data-panel]')].filter(p => {
  const r = p.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0 && r.width > 0; }).length"""

LAST_SECTION = """() => {
  const s = [...document.querySelectorAll('details.section')].filter(d => d.querySelector('.panel[data-panel]'));
  const last = s[s.length - 1]; return last ? last.dataset.section : null; }"""


def heap_mb(cdp: Any) -> float:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return round(metrics["JSHeapUsedSize"] / 2**20, 1)


def workspace_scale(page: Any, url: str, repeat: int, waterfall_out: list[dict[str, Any]] | None = None
                    ) -> dict[str, Any]:
    """Opening the workspace: the first chart drawn, the API requests made against the panels on
    screen, the JS heap, and scrolling to the last section until its first chart is drawn.
    ``waterfall_out`` gets each API request of the first opening: when it was sent and when its
    answer had arrived, in seconds after navigation started."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    out: dict[str, Any] = {"first_chart_s": [], "scroll_last_s": [], "requests": [], "panels_on_screen": [],
                           "series_requests": [], "heap_mb": [], "heap_after_scroll_mb": [],
                           "summaries_in_s": [], "heap_with_summaries_mb": []}
    for i in range(repeat):
        reqs: list[str] = []
        sent: dict[Any, float] = {}
        waterfall: list[dict[str, Any]] = []

        def on_request(r: Any, reqs: list[str] = reqs, sent: dict[Any, float] = sent) -> None:
            if "/api/" in r.url:
                reqs.append(r.url)
                sent[r] = time.perf_counter()

        def on_finished(r: Any, sent: dict[Any, float] = sent, waterfall: list[dict[str, Any]] = waterfall) -> None:
            if r in sent:
                waterfall.append({"url": r.url.split("/api/", 1)[1][:90], "sent": sent[r], "done": time.perf_counter()})

        page.on("request", on_request)
        page.on("requestfinished", on_finished)
        t0 = time.perf_counter()
        page.goto(url + "/p/bench")
        page.wait_for_function(INK_IN, arg="", timeout=300_000, polling=16)
        out["first_chart_s"].append(round(time.perf_counter() - t0, 3))
        page.wait_for_timeout(1500)  # let the other panels on screen load and the page settle
        shown = page.evaluate(ON_SCREEN)
        series = [u for u in reqs if "/series?" in u]
        out["requests"].append(len(reqs))
        out["series_requests"].append(len(series))
        out["panels_on_screen"].append(shown)
        out["heap_mb"].append(heap_mb(cdp))
        last = page.evaluate(LAST_SECTION)
        sel = f'details.section[data-section="{last}"]'
        t1 = time.perf_counter()
        page.locator(sel).scroll_into_view_if_needed()
        page.wait_for_function(INK_IN, arg=sel, timeout=300_000, polling=16)
        out["scroll_last_s"].append(round(time.perf_counter() - t1, 3))
        out["last_section"] = last
        page.wait_for_timeout(1000)
        out["heap_after_scroll_mb"].append(heap_mb(cdp))
        # the runs' summaries follow the first screen (docs/ui.md, "Scale"): the heap with them in
        page.wait_for_selector('.workspace[data-summaries="loaded"]', timeout=300_000)
        out["summaries_in_s"].append(round(time.perf_counter() - t0, 3))
        page.wait_for_timeout(1000)
        out["heap_with_summaries_mb"].append(heap_mb(cdp))
        page.remove_listener("request", on_request)
        page.remove_listener("requestfinished", on_finished)
        if waterfall_out is not None and i == 0:  # the API requests of the first opening, in order
            waterfall_out.extend({"url": w["url"], "start_s": round(w["sent"] - t0, 3),
                                 "end_s": round(w["done"] - t0, 3)} for w in sorted(waterfall, key=lambda x: x["sent"]))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_data(root: Path, runs: int, metrics: int, steps: int, big: int, jobs: int) -> None:
    marker = root / f".bench-{runs}x{metrics}x{steps}-{big}"
    if marker.exists():
        print(f"reusing the data in {root}")
        return
    started = time.perf_counter()
    procs = []
    per = math.ceil(runs / jobs)
    for j in range(jobs):
        a, b = j * per, min(runs, (j + 1) * per)
        if a < b:
            procs.append(subprocess.Popen([sys.executable, "-c", LOG_WORKSPACE, str(root), str(a), str(b),
                                           str(metrics), str(steps)]))
    if big:
        procs.append(subprocess.Popen([sys.executable, "-c", LOG_BIG, str(root), str(big)]))
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("logging the benchmark data failed")
    marker.touch()
    print(f"logged {runs} x {metrics} x {steps} (+ {big} big) in {time.perf_counter() - started:.1f} s")


SERVE = """
import sys, uvicorn
from runyard.server import create_app
uvicorn.run(create_app(sys.argv[1], follow=False), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def serve(root: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """The server in a process of its own, as `runyard ui` runs beside a browser (in this process
    its threads shared one interpreter lock with the measuring client's)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(root), str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 3600  # the first start indexes everything
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the server did not start")
        try:
            with urlopen(url + "/api/health", timeout=5) as r:
                if json.load(r).get("ok"):
                    return url, proc
        except OSError:
            time.sleep(0.2)


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=Path("benchmarks/out/ui_load"))
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--metrics", type=int, default=50)
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--big", type=int, default=10_000_000, help="points of the one big series (0: skip)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--waterfall", action="store_true",
                    help="with --scale: print the API requests of the first opening (sent, answered)")
    ap.add_argument("--scale-only", action="store_true", help="with --scale: skip the other measurements")
    ap.add_argument("--scale", action="store_true",
                    help="also the workspace figures: first chart, scroll to the last section, JS heap, requests")
    a = ap.parse_args()
    root = a.dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    log_data(root, a.runs, a.metrics, a.steps, a.big, a.jobs)
    t = time.perf_counter()
    url, server = serve(root)
    print(f"server up (index built) in {time.perf_counter() - t:.1f} s")

    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {"runs": a.runs, "metrics": a.metrics, "steps": a.steps, "big": a.big}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            scripts: dict[str, int] = {}

            def on_response(r: Any) -> None:
                if r.request.resource_type == "script" and "/assets/" in r.url:
                    try:
                        scripts[r.url] = len(gzip.compress(r.body(), 9))
                    except Exception:
                        pass

            page.on("response", on_response)
            if a.scale:
                load = os.getloadavg()
                c0 = cpu_s(server.pid)
                waterfall: list[dict[str, Any]] = []
                ws = workspace_scale(page, url, a.repeat, waterfall)
                if a.waterfall:
                    ws["waterfall"] = waterfall
                    for w in waterfall:
                        print(f"  {w['start_s']:7.3f} -> {w['end_s']:7.3f} s  {w['url']}")
                ws["server_cpu_s"] = round(cpu_s(server.pid) - c0, 1)  # the server process's CPU
                ws["loadavg_before"] = [round(x, 2) for x in load]
                ws["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
                out["workspace"] = ws
                med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
                first, scroll = ws["first_chart_s"], ws["scroll_last_s"]
                print(f"first chart after opening ({a.runs} runs x {a.metrics} keys x {a.steps} steps): "
                      f"{min(first):.2f} s best, {med(first):.2f} s median (target <= 1.0 s)")
                print(f"scroll to the last section ({ws['last_section']}) until drawn: {min(scroll):.2f} s best, "
                      f"{med(scroll):.2f} s median (target <= 0.5 s)")
                print(f"JS heap after the first screen: {max(ws['heap_mb'])} MB, after scrolling: "
                      f"{max(ws['heap_after_scroll_mb'])} MB, with the summaries in (after "
                      f"{med(ws['summaries_in_s']):.1f} s): {max(ws['heap_with_summaries_mb'])} MB (target <= 300 MB)")
                print(f"API requests on opening: {ws['requests']} ({ws['series_requests']} series) for "
                      f"{ws['panels_on_screen']} panels on screen")
                print(f"load average before {ws['loadavg_before']}, after {ws['loadavg_after']}")
            times = []
            for i in range(0 if a.scale and a.scale_only else a.repeat):
                scripts.clear()
                t0 = time.perf_counter()
                page.goto(url + "/p/bench")
                page.wait_for_function(INK_ALL, timeout=120_000, polling=16)
                times.append(time.perf_counter() - t0)
                if i == 0:
                    out["initial_js_gzip_kb"] = round(sum(scripts.values()) / 1024, 1)
                    out["initial_js_files"] = sorted(u.rsplit("/", 1)[-1] for u in scripts)
            out["first_screen_s"] = [round(x, 3) for x in times]
            if times:
                print(f"first screen of charts ({a.runs} runs x {a.metrics} metrics x {a.steps} steps): "
                      f"{min(times):.2f} s best, {sorted(times)[len(times) // 2]:.2f} s median (target <= 2 s)")
                print(f"initial JavaScript (gzip): {out['initial_js_gzip_kb']} kB in {len(scripts)} files "
                      "(target <= 300 kB)")
            if a.big:
                big_times = []
                for _ in range(a.repeat):
                    t0 = time.perf_counter()
                    page.goto(url + "/p/bench-big")
                    page.wait_for_function(INK_ALL, timeout=120_000, polling=16)
                    big_times.append(time.perf_counter() - t0)
                with urlopen(url + "/api/projects/bench-big/runs") as r:
                    big_id = json.load(r)["runs"][0]["id"]
                with urlopen(f"{url}/api/projects/bench-big/series?runs={big_id}&key=big&max_points=1500") as r:
                    q = json.load(r)
                out["big_chart_s"] = [round(x, 3) for x in big_times]
                out["big_query_ms"] = q["elapsed_ms"]
                print(f"chart of a {a.big:,}-point series, navigation to drawn: {min(big_times) * 1000:.0f} ms best "
                      f"(server query {q['elapsed_ms']:.0f} ms; target <= 300 ms)")
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps(out))  # the last line: one JSON object


if __name__ == "__main__":
    main()
