"""Keras 3 callbacks (wandb.integration.keras) through the alias."""

from __future__ import annotations

from pathlib import Path

import runyard
from conftest import need, only_run, run_script


def test_keras_callbacks(tmp_path: Path) -> None:
    need("keras", "torch")
    run_script("keras_callbacks.py", tmp_path)
    run = only_run(tmp_path, "keras")
    assert run.state == "finished"
    rows = list(run.scan_history())
    epochs = [r for r in rows if "epoch/loss" in r]
    assert [r["epoch/epoch"] for r in epochs] == [0, 1]
    assert all(0 <= r["epoch/val_accuracy"] <= 1 and r["epoch/learning_rate"] > 0 for r in epochs)
    # 48 training samples in batches of 16 -> 3 batches per epoch; every 2nd batch is logged
    assert [r["batch/batch_step"] for r in rows if "batch/loss" in r] == [0, 2, 4, 6]
    # WandbModelCheckpoint logs each checkpoint as a model artifact run_<id>_model, as wandb's does
    versions = runyard.Api(root=str(tmp_path / "runs")).artifact_versions("model", f"keras/run_{run.id}_model")
    assert [v.version for v in versions] == ["v0", "v1", "v2"]
    assert [sorted(v.aliases) for v in versions] == [["epoch_0"], ["epoch_1"], ["epoch_0_batch_2", "latest"]]
    assert [[f.path for f in v.files()] for v in versions] == [["model.keras"], ["model.keras"], ["w.weights.h5"]]
    assert Path(versions[1].download(tmp_path / "got")).joinpath("model.keras").read_bytes() == (
        tmp_path / "model.keras").read_bytes()
    assert all(v.logged_by().id == run.id for v in versions)
    assert run.summary["val_data"].columns == ["idx", "label"] and len(run.summary["val_data"].data) == 4
    preds = run.summary["eval_data"]
    assert preds.columns == ["epoch", "idx", "pred"] and {row[0] for row in preds.data} == {1}
