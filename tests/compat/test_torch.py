"""A PyTorch loop with wandb.watch, through the alias."""

from __future__ import annotations

from pathlib import Path

from conftest import need, only_run, run_script


def test_torch_loop_with_watch(tmp_path: Path) -> None:
    need("torch")
    run_script("torch_watch.py", tmp_path)
    run = only_run(tmp_path, "torch")
    assert run.state == "finished" and run.config == {"lr": 0.05, "epochs": 3}
    rows = list(run.scan_history())
    assert len(rows) == 12 and rows[-1]["loss"] < rows[0]["loss"]
    # every 5th backward pass (the first included) logs both histograms of each parameter
    with_hist = [r["_step"] for r in rows if "gradients/0.weight" in r]
    assert with_hist == [0, 5, 10]
    assert all("parameters/2.bias" in rows[s] for s in with_hist)
    hist = rows[0]["gradients/0.weight"]
    assert len(hist.bins) == len(hist.values) + 1 == 65
    assert sum(hist.values) == 16 * 8  # one count per weight of the first layer
    assert run.summary["final_loss"] == rows[-1]["loss"]
