"""``wandb.sklearn``: scikit-learn model evaluation charts, computed with scikit-learn and
drawn as runyard's custom charts (``runyard.plot``), logged under wandb's keys (``roc``,
``precision_recall``, ``confusion_matrix``, ``learning_curve``, ``feature_importances``,
``class_proportions``, ``calibration_curve``, ``summary_metrics``, ``elbow_curve``,
``silhouette_plot``, ``residuals``, ``outlier_candidates``).

The composite calls (``plot_classifier``, ``plot_regressor``, ``plot_clusterer``) draw each chart
on its own: one that cannot be drawn for this model is reported in one line and the others are
still logged.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..plot import bar, confusion_matrix, line, pr_curve, roc_curve, scatter
from ..types.table import Table
from ._guard import current_run, guard

NAME = "wandb.sklearn"


def _log(key: str, chart: Any) -> None:
    current_run(NAME).log({key: chart})


def _names(labels: Sequence[Any] | None, classes: Any) -> list[str]:
    if labels is not None:
        return [str(c) for c in labels]
    return [str(c) for c in classes]


def plot_roc(y_true: Any = None, y_probas: Any = None, labels: Sequence[Any] | None = None,
             plot_micro: bool = True, plot_macro: bool = True, classes_to_plot: Any = None) -> None:
    """ROC curve per class, logged as ``roc``."""
    _log("roc", roc_curve(y_true, y_probas, labels, classes_to_plot))


def plot_precision_recall(y_true: Any = None, y_probas: Any = None, labels: Sequence[Any] | None = None,
                          plot_micro: bool = True, classes_to_plot: Any = None) -> None:
    """Precision-recall curve per class, logged as ``precision_recall``."""
    _log("precision_recall", pr_curve(y_true, y_probas, labels, classes_to_plot))


def plot_confusion_matrix(y_true: Any = None, y_pred: Any = None, labels: Sequence[Any] | None = None,
                          true_labels: Any = None, pred_labels: Any = None, normalize: bool = False) -> None:
    """Confusion matrix of predicted labels, logged as ``confusion_matrix``."""
    truth = np.asarray(y_true).ravel()
    pred = np.asarray(y_pred).ravel()
    classes = list(np.unique(np.concatenate([truth, pred])))
    index = {c: i for i, c in enumerate(classes)}
    names = [str(labels[int(c)]) if labels is not None and _is_int(c) and int(c) < len(labels) else str(c)
             for c in classes]
    _log("confusion_matrix", confusion_matrix(
        y_true=[index[c] for c in truth], preds=[index[c] for c in pred], class_names=names))


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def plot_feature_importances(model: Any = None, feature_names: Sequence[str] | None = None,
                             title: str = "Feature Importance", max_num_features: int = 50) -> None:
    """``feature_importances_`` (or ``|coef_|``) as bars, logged as ``feature_importances``."""
    values = getattr(model, "feature_importances_", None)
    if values is None and getattr(model, "coef_", None) is not None:
        coef = np.asarray(model.coef_)
        values = np.abs(coef).mean(axis=0) if coef.ndim > 1 else np.abs(coef)
    if values is None:
        raise ValueError(f"{type(model).__name__} has neither feature_importances_ nor coef_")
    values = np.asarray(values, dtype=float).ravel()
    names = list(feature_names) if feature_names is not None else [str(i) for i in range(len(values))]
    order = np.argsort(-values)[:max_num_features]
    table = Table(columns=["feature_names", "importance"], data=[[str(names[i]), float(values[i])] for i in order])
    _log("feature_importances", bar(table, "feature_names", "importance", title))


def plot_class_proportions(y_train: Any = None, y_test: Any = None, labels: Sequence[Any] | None = None) -> None:
    """How many samples of each class are in the training and test sets, logged as ``class_proportions``."""
    rows = []
    for dataset, ys in (("train", y_train), ("test", y_test)):
        values, counts = np.unique(np.asarray(ys).ravel(), return_counts=True)
        for v, c in zip(values, counts, strict=True):
            name = str(labels[int(v)]) if labels is not None and _is_int(v) and int(v) < len(labels) else str(v)
            rows.append([f"{name} ({dataset})", int(c)])
    _log("class_proportions", bar(Table(columns=["class", "count"], data=rows), "class", "count",
                                  "Class Proportions"))


def plot_learning_curve(model: Any = None, X: Any = None, y: Any = None, cv: Any = None,  # noqa: N803
                        shuffle: bool = False, random_state: Any = None, train_sizes: Any = None,
                        n_jobs: int = 1, scoring: Any = None) -> None:
    """Train and cross-validation score against training-set size, logged as ``learning_curve``."""
    from sklearn.model_selection import learning_curve

    sizes = np.linspace(0.1, 1.0, 5) if train_sizes is None else train_sizes
    n, train, test = learning_curve(model, X, y, cv=cv, train_sizes=sizes, n_jobs=n_jobs, scoring=scoring,
                                    shuffle=shuffle, random_state=random_state)
    rows = [[int(s), "train", float(np.mean(t))] for s, t in zip(n, train, strict=True)]
    rows += [[int(s), "test", float(np.mean(t))] for s, t in zip(n, test, strict=True)]
    table = Table(columns=["train_size", "dataset", "score"], data=rows)
    _log("learning_curve", line(table, "train_size", "score", stroke="dataset", title="Learning Curve"))


def plot_calibration_curve(clf: Any = None, X: Any = None, y: Any = None,  # noqa: N803
                           clf_name: str = "Classifier", n_bins: int = 10) -> None:
    """Fraction of positives against mean predicted probability (binary classifiers), logged as
    ``calibration_curve``; ``clf`` must be fitted."""
    from sklearn.calibration import calibration_curve

    probas = np.asarray(clf.predict_proba(X))
    if probas.ndim != 2 or probas.shape[1] != 2:
        raise ValueError("a calibration curve is drawn for binary classifiers only")
    positive, predicted = calibration_curve(np.asarray(y), probas[:, 1], n_bins=n_bins)
    rows = [[float(p), float(f), clf_name] for p, f in zip(predicted, positive, strict=True)]
    rows += [[0.0, 0.0, "Perfectly calibrated"], [1.0, 1.0, "Perfectly calibrated"]]
    table = Table(columns=["mean_predicted_value", "fraction_of_positives", "model"], data=rows)
    _log("calibration_curve", line(table, "mean_predicted_value", "fraction_of_positives", stroke="model",
                                   title="Calibration Curve"))


def plot_summary_metrics(model: Any = None, X: Any = None, y: Any = None,  # noqa: N803
                         X_test: Any = None, y_test: Any = None) -> None:  # noqa: N803
    """Accuracy, precision, recall and F1 (classifiers) or MAE, MSE and R² (regressors) on the
    test set, as bars, logged as ``summary_metrics``."""
    from sklearn import metrics
    from sklearn.base import is_classifier

    pred = model.predict(X_test)
    if is_classifier(model):
        values = {
            "accuracy": metrics.accuracy_score(y_test, pred),
            "precision": metrics.precision_score(y_test, pred, average="weighted", zero_division=0),
            "recall": metrics.recall_score(y_test, pred, average="weighted", zero_division=0),
            "f1": metrics.f1_score(y_test, pred, average="weighted", zero_division=0),
        }
    else:
        values = {
            "mae": metrics.mean_absolute_error(y_test, pred),
            "mse": metrics.mean_squared_error(y_test, pred),
            "r2": metrics.r2_score(y_test, pred),
        }
    table = Table(columns=["metric_name", "metric_value"], data=[[k, round(float(v), 6)] for k, v in values.items()])
    _log("summary_metrics", bar(table, "metric_name", "metric_value", f"Summary Metrics ({type(model).__name__})"))


def plot_residuals(regressor: Any = None, X: Any = None, y: Any = None) -> None:  # noqa: N803
    """Residuals against predicted values, logged as ``residuals``; ``regressor`` must be fitted."""
    pred = np.asarray(regressor.predict(X), dtype=float).ravel()
    resid = np.asarray(y, dtype=float).ravel() - pred
    rows = [[float(p), float(r)] for p, r in zip(pred, resid, strict=True)]
    table = Table(columns=["predicted", "residual"], data=rows)
    _log("residuals", scatter(table, "predicted", "residual", "Residuals"))


def plot_outlier_candidates(regressor: Any = None, X: Any = None, y: Any = None) -> None:  # noqa: N803
    """Cook's distance of each training instance (linear-model influence), logged as
    ``outlier_candidates``; instances above 4/n are the candidates."""
    x = np.asarray(X, dtype=float)
    x = x.reshape(len(x), -1)
    resid = np.asarray(y, dtype=float).ravel() - np.asarray(regressor.predict(X), dtype=float).ravel()
    design = np.hstack([np.ones((len(x), 1)), x])
    leverage = np.einsum("ij,ij->i", design @ np.linalg.pinv(design.T @ design), design)
    p = design.shape[1]
    mse = float(resid @ resid) / max(1, len(x) - p)
    cooks = resid**2 / (p * mse) * leverage / np.clip((1 - leverage) ** 2, 1e-12, None) if mse > 0 else resid * 0
    table = Table(columns=["instance", "cooks_distance"], data=[[i, float(d)] for i, d in enumerate(cooks)])
    title = f"Cook's Distance (threshold {4 / len(x):.3g})"
    _log("outlier_candidates", bar(table, "instance", "cooks_distance", title))


def plot_elbow_curve(clusterer: Any = None, X: Any = None, cluster_ranges: Any = None,  # noqa: N803
                     n_jobs: int = 1, show_cluster_time: bool = True) -> None:
    """Sum of squared distances (and fit time) against the number of clusters, logged as ``elbow_curve``."""
    from sklearn.base import clone

    ranges = list(cluster_ranges) if cluster_ranges is not None else list(range(1, 10, 2))
    rows = []
    for k in ranges:
        model = clone(clusterer).set_params(n_clusters=k)
        start = time.perf_counter()
        model.fit(X)
        rows.append([int(k), float(-model.score(X)), time.perf_counter() - start])
    table = Table(columns=["cluster_ranges", "errors", "clustering_time"], data=rows)
    _log("elbow_curve", line(table, "cluster_ranges", "errors", title="Elbow Plot"))


def plot_silhouette(clusterer: Any = None, X: Any = None, cluster_labels: Any = None,  # noqa: N803
                    labels: Any = None, metric: str = "euclidean", kmeans: bool = True) -> None:
    """Each sample's silhouette coefficient, sorted within its cluster, logged as ``silhouette_plot``."""
    from sklearn.metrics import silhouette_samples

    found = np.asarray(clusterer.fit_predict(X) if cluster_labels is None else cluster_labels)
    values = silhouette_samples(X, found, metric=metric)
    rows: list[list[Any]] = []
    for c in np.unique(found):
        for v in np.sort(values[found == c]):
            rows.append([len(rows), float(v), str(c)])
    table = Table(columns=["sample", "silhouette", "cluster"], data=rows)
    _log("silhouette_plot", line(table, "sample", "silhouette", stroke="cluster", title="Silhouette Plot"))


def plot_classifier(model: Any, X_train: Any, X_test: Any, y_train: Any, y_test: Any,  # noqa: N803
                    y_pred: Any, y_probas: Any, labels: Sequence[Any] | None = None, is_binary: bool = False,
                    model_name: str = "Classifier", feature_names: Sequence[str] | None = None,
                    log_learning_curve: bool = False) -> None:
    """Every classifier chart wandb draws for a fitted ``model``."""
    parts: list[tuple[str, Any]] = [
        ("plot_feature_importances", lambda: plot_feature_importances(model, feature_names)),
        ("plot_class_proportions", lambda: plot_class_proportions(y_train, y_test, labels)),
        ("plot_roc", lambda: plot_roc(y_test, y_probas, labels)),
        ("plot_precision_recall", lambda: plot_precision_recall(y_test, y_probas, labels)),
        ("plot_confusion_matrix", lambda: plot_confusion_matrix(y_test, y_pred, labels)),
        ("plot_summary_metrics", lambda: plot_summary_metrics(model, X_train, y_train, X_test, y_test)),
    ]
    if log_learning_curve:
        parts.append(("plot_learning_curve", lambda: plot_learning_curve(model, X_train, y_train)))
    if np.asarray(y_probas).ndim == 2 and np.asarray(y_probas).shape[1] == 2:
        parts.append(("plot_calibration_curve", lambda: plot_calibration_curve(model, X_test, y_test, model_name)))
    _draw("plot_classifier", parts)


def plot_regressor(model: Any, X_train: Any, X_test: Any, y_train: Any, y_test: Any,  # noqa: N803
                   model_name: str = "Regressor") -> None:
    """Every regressor chart wandb draws for a fitted ``model``."""
    _draw("plot_regressor", [
        ("plot_summary_metrics", lambda: plot_summary_metrics(model, X_train, y_train, X_test, y_test)),
        ("plot_learning_curve", lambda: plot_learning_curve(model, X_train, y_train)),
        ("plot_outlier_candidates", lambda: plot_outlier_candidates(model, X_train, y_train)),
        ("plot_residuals", lambda: plot_residuals(model, X_train, y_train)),
    ])


def plot_clusterer(model: Any, X_train: Any, cluster_labels: Any, labels: Any = None,  # noqa: N803
                   model_name: str = "Clusterer") -> None:
    """The elbow curve and silhouette plot of a clusterer."""
    parts: list[tuple[str, Any]] = [
        ("plot_silhouette", lambda: plot_silhouette(model, X_train, cluster_labels, labels)),
    ]
    if hasattr(model, "n_clusters"):
        parts.insert(0, ("plot_elbow_curve", lambda: plot_elbow_curve(model, X_train)))
    _draw("plot_clusterer", parts)


def _draw(composite: str, parts: list[tuple[str, Any]]) -> None:
    current_run(NAME)
    for name, draw in parts:
        with guard(NAME, f"{composite} ({name})"):
            draw()


__all__ = [
    "plot_calibration_curve", "plot_class_proportions", "plot_classifier", "plot_clusterer",
    "plot_confusion_matrix", "plot_elbow_curve", "plot_feature_importances", "plot_learning_curve",
    "plot_outlier_candidates", "plot_precision_recall", "plot_regressor", "plot_residuals", "plot_roc",
    "plot_silhouette", "plot_summary_metrics",
]
