"""Resuming through WANDB_RUN_ID / WANDB_RESUME: two processes, one run."""

from __future__ import annotations

from pathlib import Path

from conftest import only_run, run_script


def test_resume_through_environment_variables(tmp_path: Path) -> None:
    env = {"WANDB_RUN_ID": "resume42", "WANDB_RESUME": "allow"}
    first = run_script("resume.py", tmp_path, "0", env=env, expect_rc=1)
    assert first.stdout.split() == ["resume42", "False", "0"]
    assert only_run(tmp_path, "resume").state == "failed"
    second = run_script("resume.py", tmp_path, "3", env=env)
    assert second.stdout.split() == ["resume42", "True", "3"]
    run = only_run(tmp_path, "resume")
    assert run.state == "finished" and run.config == {"lr": 0.1}
    assert [(r["_step"], r["epoch"]) for r in run.scan_history()] == [(i, i) for i in range(6)]
    must = run_script("resume.py", tmp_path, "6", env={"WANDB_RUN_ID": "other001", "WANDB_RESUME": "must"},
                      expect_rc=1)
    assert "resume='must'" in must.stderr and "other001" in must.stderr
