"""Lightning's WandbLogger through the alias."""

from __future__ import annotations

from pathlib import Path

from conftest import need, only_run, run_script


def test_wandb_logger(tmp_path: Path) -> None:
    need("torch", "lightning")
    run_script("lightning_logger.py", tmp_path)
    run = only_run(tmp_path, "pl")
    assert run.state == "finished" and run.name == "lit"
    assert run.config == {"lr": 0.05, "width": 8, "batch_size": 8}
    assert not (tmp_path / "scratch").exists() or not any((tmp_path / "scratch").rglob("*.log"))
    rows = list(run.scan_history())
    steps = [r["trainer/global_step"] for r in rows if "train_loss" in r]
    assert steps == sorted(steps) and len(steps) >= 4
    assert any("val_loss" in r for r in rows) and rows[-1]["extra"] == 1.0 and rows[-1]["trainer/global_step"] == 100
    assert any("gradients/net.0.weight" in r and "parameters/net.2.bias" in r for r in rows)
    assert run.summary["preds"].columns == ["x", "y"] and run.summary["preds"].data == [[1, 2.0], [3, 4.0]]
    image = run.summary["samples"][0] if isinstance(run.summary["samples"], list) else run.summary["samples"]
    assert image is not None
