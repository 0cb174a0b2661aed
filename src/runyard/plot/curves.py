"""Classifier charts computed with numpy alone (docs/media-refs.md, "The computed charts' tables"): PR and
ROC curves, confusion matrix.

Class ``i`` is column ``i`` of ``y_probas``. Labels in ``y_true`` are either class indices
(integers ``0 .. K-1``) or class names, matched against ``labels`` (or, without ``labels``, the
sorted distinct names, which must then number K). A 1-D ``y_probas`` is a binary classifier's
probability of class 1.

Each curve is computed at every distinct score (the exact curve, as scikit-learn computes it
without dropping intermediate points) and, when long, thinned evenly to at most
``PER_CLASS_LIMIT`` points, always keeping both ends.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..types.table import Table
from .custom_chart import CustomChart, plot_table

PER_CLASS_LIMIT = 500


def _thin(n: int, limit: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def _ranked_counts(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative true and false positives at each distinct score, from the highest down."""
    order = np.argsort(-scores, kind="mergesort")
    s = scores[order]
    p = positive[order].astype(np.int64)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each run of equal scores
    tps = np.cumsum(p)[last]
    fps = (last + 1) - tps
    return tps, fps


def roc_points(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(fpr, tpr)`` from (0, 0) to (1, 1)."""
    tps, fps = _ranked_counts(scores, positive)
    n_pos, n_neg = tps[-1], fps[-1]
    fpr = np.r_[0.0, fps / n_neg] if n_neg else np.r_[0.0, np.zeros(len(fps))]
    tpr = np.r_[0.0, tps / n_pos]
    return fpr, tpr


def pr_points(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(recall, precision)`` from (0, 1) to full recall."""
    tps, fps = _ranked_counts(scores, positive)
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return np.r_[0.0, recall], np.r_[1.0, precision]


def _as_probas(y_probas: Any, n: int, fn: str) -> np.ndarray:
    try:
        probas = np.array(y_probas, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"plot.{fn}: y_probas must be numbers, shape (n_samples, n_classes) ({e})") from e
    if probas.ndim == 1:
        probas = np.stack([1.0 - probas, probas], axis=1)
    if probas.ndim != 2:
        raise ValueError(f"plot.{fn}: y_probas must have shape (n_samples, n_classes), got {probas.shape}")
    if len(probas) != n:
        raise ValueError(
            f"plot.{fn}: y_true has {n} labels but y_probas has {len(probas)} rows; they must match"
        )
    if not np.all(np.isfinite(probas)):
        raise ValueError(f"plot.{fn}: y_probas holds NaN or infinity")
    return probas


def _class_indices(
    y_true: np.ndarray, n_classes: int, labels: Sequence[Any] | None, fn: str
) -> tuple[np.ndarray, list[Any]]:
    """Each sample's class index, and the display name of every class."""
    if labels is not None:
        labels = list(labels)
        if len(labels) != n_classes:
            raise ValueError(
                f"plot.{fn}: {len(labels)} labels for {n_classes} probability columns; "
                "pass one label per class"
            )
    # Class values as wandb stores them: the label given, else the class index itself.
    names: list[Any] = list(labels) if labels is not None else list(range(n_classes))
    if y_true.dtype.kind in "biu" or (y_true.dtype.kind == "f" and np.all(y_true == np.round(y_true))):
        idx = y_true.astype(np.int64)
        bad = idx[(idx < 0) | (idx >= n_classes)]
        if bad.size:
            raise ValueError(
                f"plot.{fn}: label {bad[0]} in y_true is out of range for {n_classes} probability columns "
                f"(labels are class indices 0..{n_classes - 1})"
            )
        return idx, names
    values = [str(v) for v in y_true.tolist()]
    if labels is None:
        distinct = sorted(set(values))
        if len(distinct) != n_classes:
            raise ValueError(
                f"plot.{fn}: y_true has {len(distinct)} distinct class names but y_probas has {n_classes} "
                "columns; pass labels= naming the class of each column"
            )
        names = list(distinct)
    lookup = {str(name): i for i, name in enumerate(names)}
    unknown = sorted(set(values) - set(lookup))
    if unknown:
        raise ValueError(f"plot.{fn}: y_true holds {unknown}, which are not among the labels {names}")
    return np.array([lookup[v] for v in values], dtype=np.int64), names


def _curve(
    fn: str,
    y_true: Any,
    y_probas: Any,
    labels: Sequence[Any] | None,
    classes_to_plot: Sequence[Any] | None,
) -> list[list[Any]]:
    if y_true is None or y_probas is None:
        raise ValueError(f"plot.{fn}: pass y_true (labels) and y_probas (predicted probabilities)")
    truth = np.asarray(y_true).ravel()
    if truth.size == 0:
        raise ValueError(f"plot.{fn}: y_true is empty")
    probas = _as_probas(y_probas, len(truth), fn)
    idx, names = _class_indices(truth, probas.shape[1], labels, fn)
    wanted = list(range(probas.shape[1]))
    if classes_to_plot is not None:
        wanted = []
        for c in classes_to_plot:
            if isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= int(c) < len(names):
                wanted.append(int(c))
            elif str(c) in (shown := [str(n) for n in names]):
                wanted.append(shown.index(str(c)))
            else:
                raise ValueError(
                    f"plot.{fn}: classes_to_plot names {c!r}, which is not a class; classes are {names}"
                )
    limit = max(2, min(PER_CLASS_LIMIT, Table.MAX_ROWS // max(1, len(wanted))))
    rows: list[list[Any]] = []
    for k in wanted:
        positive = idx == k
        if not positive.any() or (fn == "roc_curve" and positive.all()):
            warnings.warn(
                f"plot.{fn}: class {names[k]!r} has no {'positive' if not positive.any() else 'negative'} "
                "samples in y_true; its curve is left out",
                stacklevel=3,
            )
            continue
        if fn == "roc_curve":
            a, b = roc_points(probas[:, k], positive)
        else:
            a, b = pr_points(probas[:, k], positive)
        keep = _thin(len(a), limit)
        rows += [[names[k], float(x), float(y)] for x, y in zip(a[keep], b[keep], strict=True)]
    if not rows:
        raise ValueError(
            f"plot.{fn}: no class has both positive and negative samples in y_true; nothing to plot"
        )
    return rows


def pr_curve(
    y_true: Any = None,
    y_probas: Any = None,
    labels: Sequence[Any] | None = None,
    classes_to_plot: Sequence[Any] | None = None,
    title: str | None = None,
    interp_size: int | None = None,
    *,
    split_table: bool = False,
) -> CustomChart:
    """Precision against recall, one curve per class (table columns ``class, precision, recall``,
    wandb's order).

    ``interp_size``: each curve is resampled at that many evenly spaced recall values from 1 down
    to 0 (the highest precision at or beyond each, rounded to 3 places, as wandb's interpolated
    curve); None keeps the curve's own points.
    """
    rows = _curve("pr_curve", y_true, y_probas, labels, classes_to_plot)
    if interp_size is not None:
        rows = _interpolate_pr(rows, interp_size)
    table = Table(columns=["class", "precision", "recall"], data=[[c, p, r] for c, r, p in rows])
    return plot_table(
        "runyard/pr_curve", table, {"x": "recall", "y": "precision", "class": "class"},
        {"title": title or "Precision-Recall Curve"}, split_table=split_table,
    )


def _interpolate_pr(rows: list[list[Any]], size: int) -> list[list[Any]]:
    if isinstance(size, bool) or not isinstance(size, int) or size < 2:
        raise ValueError(f"plot.pr_curve: interp_size must be an integer >= 2, got {size!r}")
    grid = np.linspace(0.0, 1.0, size)[::-1]
    out: list[list[Any]] = []
    for name in dict.fromkeys(r[0] for r in rows):
        recall = np.array([r[1] for r in rows if r[0] == name])
        precision = np.array([r[2] for r in rows if r[0] == name])
        order = np.argsort(recall, kind="stable")
        recall, precision = recall[order], precision[order]
        best_after = np.maximum.accumulate(precision[::-1])[::-1]  # highest precision at recall >= r
        idx = np.searchsorted(recall, grid, side="left")
        for r, i in zip(grid, idx, strict=True):
            best = float(best_after[i]) if i < len(recall) else 0.0
            out.append([name, round(float(r), 3), round(best, 3)])
    return out


def roc_curve(
    y_true: Any = None,
    y_probas: Any = None,
    labels: Sequence[Any] | None = None,
    classes_to_plot: Sequence[Any] | None = None,
    title: str | None = None,
    *,
    split_table: bool = False,
) -> CustomChart:
    """True-positive rate against false-positive rate, one curve per class (``class, fpr, tpr``)."""
    rows = _curve("roc_curve", y_true, y_probas, labels, classes_to_plot)
    table = Table(columns=["class", "fpr", "tpr"], data=rows)
    return plot_table(
        "runyard/roc_curve", table, {"x": "fpr", "y": "tpr", "class": "class"},
        {"title": title or "ROC Curve"}, split_table=split_table,
    )


def _is_names(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple, np.ndarray))
        and len(value) > 0
        and all(isinstance(v, (str, np.str_)) for v in value)
    )


def confusion_matrix(
    probs: Any = None,
    y_true: Any = None,
    preds: Any = None,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
    *,
    split_table: bool = False,
) -> CustomChart:
    """Counts of (actual, predicted) class pairs (table columns ``Actual, Predicted, nPredictions``).

    Pass ``probs`` (n_samples × n_classes; the prediction is the arg-max) or ``preds`` (predicted
    labels), and ``y_true``. The reference's positional form ``confusion_matrix(predictions,
    ground_truth, class_names)`` works too: a 1-D first argument is taken as the predictions and a
    list of strings in third place as the class names.
    """
    if probs is not None and np.asarray(probs, dtype=object).ndim == 1:
        # confusion_matrix(predictions, ground_truth[, class_names]): the reference's own form.
        if preds is not None:
            if class_names is None and _is_names(preds):
                class_names = list(preds)
            else:
                raise ValueError(
                    "plot.confusion_matrix: the first argument is 1-D (predicted labels) and preds= "
                    "was given too; pass either probs (n_samples × n_classes) or preds"
                )
        probs, preds = None, probs
    if probs is not None and preds is not None and class_names is None and _is_names(preds):
        # confusion_matrix(probs, y_true, class_names): names in third place, one per column
        shape = np.shape(probs)
        if len(shape) == 2 and shape[1] == len(preds):
            class_names, preds = list(preds), None
    if probs is not None and preds is not None:
        raise ValueError("plot.confusion_matrix: pass either probs or preds, not both")
    if y_true is None or (probs is None and preds is None):
        raise ValueError("plot.confusion_matrix: pass y_true and either preds (labels) or probs (scores)")
    truth = np.asarray(y_true).ravel()
    if probs is not None:
        p = np.asarray(probs, dtype=np.float64)
        if p.ndim != 2:
            raise ValueError(
                f"plot.confusion_matrix: probs must be n_samples × n_classes, got shape {p.shape}"
            )
        if len(p) != len(truth):
            raise ValueError(
                f"plot.confusion_matrix: probs has {len(p)} rows but y_true has {len(truth)} labels; "
                "they must match"
            )
        predicted = np.argmax(p, axis=1)
    else:
        predicted = np.asarray(preds).ravel()
        if len(predicted) != len(truth):
            raise ValueError(
                f"plot.confusion_matrix: {len(predicted)} predictions but {len(truth)} labels in y_true; "
                "they must match"
            )
    pred_list, true_list = predicted.tolist(), truth.tolist()
    if class_names is not None:
        names = [str(n) for n in class_names]
        values = set(pred_list) | set(true_list)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            bad = sorted(v for v in values if not 0 <= v < len(names))
            if bad:
                raise ValueError(
                    f"plot.confusion_matrix: label {bad[0]} is out of range for {len(names)} class_names "
                    f"(labels are indices 0..{len(names) - 1})"
                )
            mapping: dict[Any, int] = {i: i for i in range(len(names))}
        else:
            unknown = sorted(str(v) for v in values if str(v) not in names)
            if unknown:
                raise ValueError(f"plot.confusion_matrix: labels {unknown} are not among class_names {names}")
            mapping = {v: names.index(str(v)) for v in values}
    else:
        distinct = sorted(set(pred_list) | set(true_list), key=lambda v: (str(type(v)), v))
        if all(isinstance(v, str) for v in distinct):
            names = list(distinct)
        else:
            names = [f"Class_{i + 1}" for i in range(len(distinct))]
        mapping = {v: i for i, v in enumerate(distinct)}
    n = len(names)
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, ([mapping[v] for v in true_list], [mapping[v] for v in pred_list]), 1)
    rows = [[names[i], names[j], int(counts[i, j])] for i in range(n) for j in range(n)]
    table = Table(columns=["Actual", "Predicted", "nPredictions"], data=rows,
                  max_rows=max(Table.MAX_ROWS, len(rows)))
    return plot_table(
        "runyard/confusion_matrix", table,
        {"Actual": "Actual", "Predicted": "Predicted", "nPredictions": "nPredictions"},
        {"title": title or "Confusion Matrix Curve"}, split_table=split_table,
    )
