"""``runyard demo``: log a few realistic example runs (a small sweep of a toy training loop)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from . import settings as settings_mod


def run_demo(directory: str | None, n_runs: int = 3, steps: int = 2000) -> Path:
    """Log ``n_runs`` runs of ``steps`` steps each into ``directory``; return the runs root."""
    import click

    from .sdk.lifecycle import init
    from .types import Histogram

    root = Path(directory or settings_mod.resolve()["dir"]).expanduser().resolve()
    rng = np.random.default_rng(7)
    lrs = [0.1, 0.03, 0.01, 0.003, 0.001][: max(1, n_runs)] + [0.001] * max(0, n_runs - 5)
    total = n_runs * steps
    with click.progressbar(length=total, label="Logging demo runs", file=None) as bar:
        for i, lr in enumerate(lrs[:n_runs]):
            run = init(
                project="demo", dir=os.fspath(root), config={"lr": lr, "batch_size": 64, "optimizer": "adam"},
                tags=["demo", "sweep"], group="lr-sweep", job_type="train", settings={"console": "off"},
                reinit="create_new",
            )
            run.define_metric("val/*", step_metric="epoch")
            run.define_metric("val/acc", summary="max")
            noise = 0.05 + 0.02 * i
            for step in range(steps):
                progress = step / steps
                loss = 2.5 * math.exp(-lr * 40 * progress) + noise * float(rng.standard_normal())
                row: dict[str, object] = {
                    "train/loss": loss,
                    "train/lr": lr * (0.5 + 0.5 * math.cos(math.pi * progress)),
                    "epoch": step // 100,
                }
                if step == steps // 2 and i == 0:
                    row["train/loss"] = loss + 3.0  # a spike that charts must not hide
                if step % 100 == 99:
                    acc = 1 - math.exp(-lr * 60 * progress) * 0.9 + 0.01 * rng.standard_normal()
                    row["val/acc"] = acc
                    row["weights"] = Histogram(rng.normal(scale=1 + progress, size=2000))
                run.log(row)
                bar.update(1)
            run.summary["best_lr_guess"] = lr
            run.finish()
    return root
