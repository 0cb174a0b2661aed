"""``wandb.lightgbm``: ``wandb_callback()`` logs every evaluation metric of each boosting
round (``<dataset>_<metric>``), the booster's parameters into config and, with
``define_metric``, summaries that keep each metric's best value; ``log_summary(model)`` logs
the best iteration and score and the feature importances."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..plot import bar
from ..types.table import Table
from ._guard import current_run, guard

NAME = "wandb.lightgbm"


def wandb_callback(log_params: bool = True, define_metric: bool = True) -> Callable[[Any], None]:
    """A LightGBM callback (``lgb.train(..., callbacks=[wandb_callback()])``)."""
    state = {"defined": False}

    def _callback(env: Any) -> None:
        with guard(NAME, "wandb_callback"):
            run = current_run(NAME)
            if not state["defined"]:
                state["defined"] = True
                if log_params and env.params:
                    run.config.update(dict(env.params), allow_val_change=True)
                if define_metric:
                    for item in env.evaluation_result_list:
                        data_name, metric, higher_better = item[0], item[1], item[3]
                        run.define_metric(f"{data_name}_{metric}",
                                          summary="max" if higher_better else "min")
            row = {f"{item[0]}_{item[1]}": item[2] for item in env.evaluation_result_list}
            row["iteration"] = env.iteration
            run.log(row)

    _callback.order = 20  # type: ignore[attr-defined]  # LightGBM runs callbacks by this
    return _callback


def log_summary(model: Any, feature_importance: bool = True, save_model_checkpoint: bool = False) -> None:
    """Log ``best_iteration``/``best_score`` to the summary and the feature importances as bars."""
    with guard(NAME, "log_summary"):
        run = current_run(NAME)
        if not hasattr(model, "feature_importance"):
            raise TypeError(f"log_summary expects a lightgbm Booster, got {type(model).__name__}")
        run.summary["best_iteration"] = int(model.best_iteration)
        if model.best_score:
            run.summary["best_score"] = {d: dict(m) for d, m in model.best_score.items()}
        if feature_importance:
            names = model.feature_name()
            values = model.feature_importance()
            table = Table(columns=["Feature", "Importance"],
                          data=[[str(n), float(v)] for n, v in zip(names, values, strict=True)])
            run.log({"Feature Importance": bar(table, "Feature", "Importance", "Feature Importance")})
        if save_model_checkpoint:
            from ..sdk.report import say

            say(f"{NAME}: log_summary(save_model_checkpoint=True) needs artifacts; the model is not saved")


__all__ = ["log_summary", "wandb_callback"]
