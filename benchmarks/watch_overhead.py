"""What does ``watch(model)`` add to a CPU training step? (docs/wandb-compat.md: the target is
at most 5% between ``log_freq`` steps, on a model of about 10 million parameters.)

One process trains the same MLP (default 10.8M parameters) for the same batches three ways,
interleaved so load on the machine hits each alike: without watch, with
``watch(log="all", log_freq=N)`` measured on the steps between log_freq steps, and the due steps
themselves (which bin every gradient and parameter). Each step also calls ``log()``, as a
training loop does. Figures are per step, in ms (median and mean); the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=int, default=2200, help="hidden width (2200: ~10.8M parameters)")
    parser.add_argument("--steps", type=int, default=60, help="measured steps per variant")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--log-freq", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: steadier figures)")
    args = parser.parse_args()

    import torch

    import runyard

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    w = args.width
    os.environ["RUNYARD_DIR"] = tempfile.mkdtemp(prefix="runyard-watch-bench-")
    os.environ["RUNYARD_CONSOLE"] = "off"

    def make() -> torch.nn.Module:
        return torch.nn.Sequential(torch.nn.Linear(512, w), torch.nn.ReLU(), torch.nn.Linear(w, w), torch.nn.ReLU(),
                                   torch.nn.Linear(w, w), torch.nn.ReLU(), torch.nn.Linear(w, 10))

    plain, watched = make(), make()
    params = sum(p.numel() for p in plain.parameters())
    x = torch.randn(args.batch, 512)
    y = torch.randint(0, 10, (args.batch,))
    run = runyard.init(project="bench-watch")
    opts = {m: torch.optim.SGD(m.parameters(), lr=1e-3) for m in (plain, watched)}
    runyard.watch(watched, log="all", log_freq=args.log_freq)

    def step(model: torch.nn.Module) -> float:
        t = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opts[model].zero_grad()
        loss.backward()
        opts[model].step()
        run.log({"loss": loss.item()})
        return (time.perf_counter() - t) * 1000

    step(plain)
    due_first = step(watched)  # the watched model's first step is a due one: histograms of everything
    times: dict[str, list[float]] = {"without": [], "watched": []}
    for _ in range(args.steps):
        times["without"].append(step(plain))
        times["watched"].append(step(watched))  # steps 2..steps+1: between log_freq steps
    run.finish()

    med = {k: statistics.median(v) for k, v in times.items()}
    mean = {k: statistics.fmean(v) for k, v in times.items()}
    overhead_median = med["watched"] / med["without"] - 1
    overhead_mean = mean["watched"] / mean["without"] - 1
    print(f"model: {params / 1e6:.1f}M parameters, batch {args.batch}, {args.steps} steps each, "
          f"log_freq={args.log_freq}, torch threads={args.threads}")
    print(f"{'variant':<28}{'median ms':>12}{'mean ms':>12}")
    print(f"{'no watch':<28}{med['without']:>12.2f}{mean['without']:>12.2f}")
    print(f"{'watch, between log steps':<28}{med['watched']:>12.2f}{mean['watched']:>12.2f}")
    print(f"{'watch, a due step (once)':<28}{due_first:>12.2f}{'':>12}")
    print(f"overhead between log_freq steps: median {overhead_median:+.1%}, mean {overhead_mean:+.1%} (target <= +5%)")
    print(json.dumps({"benchmark": "watch_overhead", "params": params, "steps": args.steps,
                      "median_ms": med, "mean_ms": mean, "due_step_ms": due_first,
                      "overhead_median": overhead_median, "overhead_mean": overhead_mean}))


if __name__ == "__main__":
    main()
