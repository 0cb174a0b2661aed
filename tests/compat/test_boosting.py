"""LightGBM's wandb_callback/log_summary and XGBoost's WandbCallback through the alias."""

from __future__ import annotations

from pathlib import Path

from conftest import need, only_run, run_script


def test_lightgbm_and_xgboost_callbacks(tmp_path: Path) -> None:
    need("lightgbm", "xgboost", "sklearn")
    run_script("boosting.py", tmp_path)
    lgb_run = only_run(tmp_path, "lightgbm")
    rows = list(lgb_run.scan_history())
    assert [r["iteration"] for r in rows if "valid_auc" in r] == list(range(10))
    assert lgb_run.config["num_leaves"] == 7 and lgb_run.config["objective"] == "binary"
    best = min(r["valid_binary_logloss"] for r in rows if "valid_binary_logloss" in r)
    assert lgb_run.summary["valid_binary_logloss"] == {"min": best}  # define_metric(summary="min")
    assert lgb_run.summary["Feature Importance"]["preset"] == "runyard/bar"
    assert set(lgb_run.summary["best_score"]) == {"train", "valid"}

    xgb_run = only_run(tmp_path, "xgboost")
    rows = list(xgb_run.scan_history())
    assert [r["epoch"] for r in rows if "valid-logloss" in r] == list(range(8))
    assert xgb_run.summary["valid-auc"] == {"max": max(r["valid-auc"] for r in rows if "valid-auc" in r)}
    assert "learner" in xgb_run.config  # the booster's own configuration
    assert xgb_run.summary["Feature Importance"]["table"].columns == ["Feature", "Importance"]


def test_a_failing_callback_names_itself_and_training_goes_on(tmp_path: Path) -> None:
    need("lightgbm", "xgboost", "sklearn")
    done = run_script("boosting.py", tmp_path, "no-run")
    assert "trained 5" in done.stdout
    lines = [line for line in done.stderr.splitlines() if "wandb.lightgbm" in line]
    assert len(lines) == 1, done.stderr  # once, not once per boosting round
    assert "wandb_callback failed" in lines[0] and "wandb.init()" in lines[0] and "training goes on" in lines[0]
