"""How long does ``import X`` take? runyard against the trackers it replaces (the target:
``import runyard`` ≤ 0.1 s; the media libraries must load only when a type needs them).

Each figure is the median of several fresh interpreters (``python -c "import X"``, timed inside
the process with ``perf_counter``). Anchors are measured with ``--anchor-python`` (default
``$RUNYARD_BENCH_PYTHON`` or this interpreter) when installed. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

MODULES = ["runyard", "numpy", "wandb", "trackio", "mlflow", "aim", "tensorboardX"]
PROBE = (
    "import sys, time; t = time.perf_counter(); import {m}; d = time.perf_counter() - t; "
    "heavy = sorted(x for x in ('numpy', 'PIL', 'pandas', 'matplotlib', 'plotly', 'click', 'fastapi') "
    "if x in sys.modules); print(d, ','.join(heavy))"
)


def measure(python: str, module: str, repeats: int) -> tuple[float, str] | None:
    times, heavy = [], ""
    for _ in range(repeats):
        proc = subprocess.run([python, "-c", PROBE.format(m=module)], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            return None
        seconds, heavy = proc.stdout.split(" ", 1)
        times.append(float(seconds))
    return statistics.median(times), heavy.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--anchor-python", default=os.environ.get("RUNYARD_BENCH_PYTHON", sys.executable))
    args = parser.parse_args()
    figures: dict[str, float] = {}
    print(f"{'module':<14}{'median s':>10}{'× runyard':>11}  heavy modules loaded")
    base = None
    for module in MODULES:
        python = sys.executable if module in ("runyard", "numpy") else args.anchor_python
        got = measure(python, module, args.repeats)
        if got is None:
            print(f"{module:<14}{'not installed':>10}")
            continue
        seconds, heavy = got
        base = seconds if module == "runyard" else base
        ratio = seconds / base if base else float("nan")
        figures[f"{module}_s"] = round(seconds, 4)
        print(f"{module:<14}{seconds:>10.4f}{ratio:>11.1f}  {heavy or '-'}")
    print(json.dumps({"benchmark": "import_time", **figures}))


if __name__ == "__main__":
    main()
