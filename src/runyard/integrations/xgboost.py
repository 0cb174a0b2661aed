"""``wandb.xgboost``: ``WandbCallback`` logs each boosting round's evaluation metrics
(``<dataset>-<metric>``), the booster's configuration into config, and after training the best
score and iteration and the feature importances."""

from __future__ import annotations

import json
from typing import Any

import xgboost

from ..plot import bar
from ..types.table import Table
from ._guard import current_run, guard

NAME = "wandb.xgboost"


class WandbCallback(xgboost.callback.TrainingCallback):
    """``xgb.train(..., callbacks=[WandbCallback()])`` (or ``XGBClassifier(callbacks=[...])``)."""

    def __init__(self, log_model: bool = False, log_feature_importance: bool = True,
                 importance_type: str = "gain", define_metric: bool = True) -> None:
        super().__init__()
        self.log_model = log_model
        self.log_feature_importance = log_feature_importance
        self.importance_type = importance_type
        self.define_metric = define_metric
        self._defined: set[str] = set()

    def before_training(self, model: Any) -> Any:
        with guard(NAME, "WandbCallback.before_training"):
            run = current_run(NAME)
            config = json.loads(model.save_config())
            run.config.update(config, allow_val_change=True)
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        with guard(NAME, "WandbCallback.after_iteration"):
            run = current_run(NAME)
            row: dict[str, Any] = {}
            for data, metrics in evals_log.items():
                for metric, values in metrics.items():
                    key = f"{data}-{metric}"
                    value = values[-1]
                    row[key] = float(value[0] if isinstance(value, tuple) else value)
                    if self.define_metric and key not in self._defined:
                        self._defined.add(key)
                        goal = "maximize" if any(m in metric for m in ("auc", "map", "ndcg", "pre")) else "minimize"
                        run.define_metric(key, summary="max" if goal == "maximize" else "min", goal=goal)
            row["epoch"] = epoch
            run.log(row)
        return False  # never stop training

    def after_training(self, model: Any) -> Any:
        with guard(NAME, "WandbCallback.after_training"):
            run = current_run(NAME)
            if self.log_feature_importance:
                scores = model.get_score(importance_type=self.importance_type)
                if scores:
                    table = Table(columns=["Feature", "Importance"],
                                  data=[[str(k), float(v)] for k, v in scores.items()])
                    run.log({"Feature Importance": bar(table, "Feature", "Importance", "Feature Importance")})
            best_score = model.attributes().get("best_score")
            if best_score is not None:
                run.summary["best_score"] = float(best_score)
                run.summary["best_iteration"] = int(model.attributes().get("best_iteration", 0))
            if self.log_model:
                from ..sdk.report import say

                say(f"{NAME}: WandbCallback(log_model=True) needs artifacts; the model is not saved")
        return model


__all__ = ["WandbCallback"]
