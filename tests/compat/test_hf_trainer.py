"""Hugging Face Trainer(report_to="wandb") through the alias."""

from __future__ import annotations

from pathlib import Path

from conftest import need, only_run, run_script


def test_trainer_reports_to_runyard(tmp_path: Path) -> None:
    need("torch", "transformers", "accelerate")
    run_script("hf_trainer.py", tmp_path, env={"WANDB_PROJECT": "hf", "WANDB_LOG_MODEL": "false"})
    run = only_run(tmp_path, "hf")
    assert run.state == "finished" and run.name == "tiny-bert"
    # the model config (with int keys in id2label, stored as strings) and the training arguments
    assert run.config["id2label"] == {"0": "LABEL_0", "1": "LABEL_1"} and run.config["hidden_size"] == 32
    assert run.config["max_steps"] == 6 and run.config["logging_steps"] == 2
    rows = list(run.scan_history())
    train = [r for r in rows if "train/loss" in r]
    assert [r["train/global_step"] for r in train] == [2, 4, 6]
    assert [r["train/global_step"] for r in rows if "eval/loss" in r] == [3, 6]
    for key in ("train/loss", "eval/loss", "train_runtime", "train_loss", "total_flos"):
        assert key in run.summary, key
