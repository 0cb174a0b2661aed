"""wandb.sklearn.plot_* through the alias: charts computed with scikit-learn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import need, only_run, run_script


def test_plot_classifier_regressor_clusterer(tmp_path: Path) -> None:
    need("sklearn")
    run_script("sklearn_plots.py", tmp_path)
    run = only_run(tmp_path, "sklearn")
    s = run.summary
    expected = {"feature_importances": "runyard/bar", "class_proportions": "runyard/bar", "roc": "runyard/roc_curve",
                "precision_recall": "runyard/pr_curve", "confusion_matrix": "runyard/confusion_matrix",
                "summary_metrics": "runyard/bar", "calibration_curve": "runyard/line",
                "learning_curve": "runyard/line", "outlier_candidates": "runyard/bar", "residuals": "runyard/scatter",
                "elbow_curve": "runyard/line", "silhouette_plot": "runyard/line"}
    for key, preset in expected.items():
        assert s[key]["preset"] == preset, key
    assert sorted(column(s["feature_importances"], "feature_names")) == list("abcdef")
    assert set(column(s["roc"], "class")) == {"neg", "pos"}
    assert sum(column(s["confusion_matrix"], "nPredictions")) == 75  # every test sample once
    # the regressor's summary metrics replaced the classifier's under the same key, as in wandb
    metrics = dict(zip(column(s["summary_metrics"], "metric_name"), column(s["summary_metrics"], "metric_value"),
                       strict=True))
    assert set(metrics) == {"mae", "mse", "r2"} and 0 < metrics["r2"] < 1
    assert sorted(column(s["elbow_curve"], "cluster_ranges")) == [1, 3, 5, 7, 9]
    errors = column(s["elbow_curve"], "errors")
    assert errors == sorted(errors, reverse=True)  # more clusters, less error


def column(chart: dict[str, Any], name: str) -> list[Any]:
    table = chart["table"]
    j = table.columns.index(name)
    return [row[j] for row in table.data]
