"""Summary bookkeeping shared by the writer and every reader (docs/semantics.md: "Summary", "define_metric").

The summary of a run is derived from its log: the last value logged for each key, replaced by
the aggregates ``define_metric`` asked for, and overridden by manual edits. A manual value stays
until it is set again, deleted (then the key goes back to its last logged value) or the key is
logged again (wandb's rule: the last value logged becomes the summary).

Metric names follow wandb's: ``"a.b"`` names the leaf ``b`` of a dict logged under ``a``, and
``"a\\.b"`` (an escaped dot) the top-level key ``"a.b"``; a glob applies to the leaves of nested
dicts too. A NaN among the values makes ``min``, ``max``, ``mean`` and ``best`` NaN, as in wandb.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

# every value of a key over many rows in log order, and which of them are integers (None: none)
Column = tuple[npt.NDArray[np.float64], "npt.NDArray[np.bool_] | None"]

AGGREGATES = ("min", "max", "mean", "first", "last", "best")
_HIDDEN = object()  # a metric whose summary is "none": left out of the summary


@dataclass(slots=True)
class MetricDef:
    """One ``define_metric`` declaration; ``name`` may end with a ``*`` glob."""

    name: str
    step_metric: str | None = None
    summary: tuple[str, ...] = ()
    goal: str | None = None
    hidden: bool = False
    step_sync: bool = True  # fill in the step metric's last value when a row lacks it
    overwrite: bool = True  # False: merge into an earlier definition of the same name

    def to_record(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "step_metric": self.step_metric,
            "summary": list(self.summary),
            "goal": self.goal,
            "hidden": self.hidden,
        }
        if not self.step_sync:
            out["step_sync"] = False
        if not self.overwrite:
            out["overwrite"] = False
        return out

    @classmethod
    def from_record(cls, d: dict[str, Any]) -> MetricDef:
        return cls(d["name"], d.get("step_metric"), tuple(d.get("summary") or ()),
                   d.get("goal"), bool(d.get("hidden")), d.get("step_sync", True) is not False,
                   d.get("overwrite", True) is not False)

    def merged_into(self, old: MetricDef) -> MetricDef:
        """This definition made with ``overwrite=False`` on top of ``old``: unset options keep
        ``old``'s, summaries are united."""
        summary = tuple(dict.fromkeys([*old.summary, *self.summary]))
        return MetricDef(self.name, self.step_metric or old.step_metric, summary, self.goal or old.goal,
                         self.hidden or old.hidden, self.step_sync and old.step_sync)


def escaped_name(path: tuple[str, ...] | str) -> str:
    """wandb's metric name of a key path: components joined by '.', dots inside one escaped."""
    parts = (path,) if isinstance(path, str) else path
    return ".".join(p.replace(".", "\\.") for p in parts)


class MetricTable:
    """Resolves a key to its ``MetricDef``: an exact name first, else the longest glob prefix."""

    def __init__(self) -> None:
        self.exact: dict[str, MetricDef] = {}
        self.globs: list[tuple[str, MetricDef]] = []
        self._cache: dict[str, MetricDef | None] = {}
        self.has_step_metrics = False

    def __bool__(self) -> bool:
        return bool(self.exact or self.globs)

    def define(self, m: MetricDef) -> None:
        if not m.overwrite:
            old = self.definition(m.name)
            if old is not None:
                m = m.merged_into(old)
        if m.name.endswith("*"):
            prefix = m.name[:-1]
            self.globs = [(p, d) for p, d in self.globs if p != prefix] + [(prefix, m)]
            self.globs.sort(key=lambda item: -len(item[0]))
        else:
            self.exact[m.name] = m
        self._cache.clear()
        self.has_step_metrics = any(d.step_metric for d in self.all())

    def definition(self, name: str) -> MetricDef | None:
        """The definition made under exactly ``name`` (a glob included), if any."""
        if name.endswith("*"):
            return next((m for p, m in self.globs if p == name[:-1]), None)
        return self.exact.get(name)

    def lookup(self, key: str, escaped: bool = False) -> MetricDef | None:
        """The definition of top-level ``key`` (or, ``escaped``, of a nested leaf's escaped name)."""
        cache_key = "\0" + key if escaped else key
        try:
            return self._cache[cache_key]
        except KeyError:
            pass
        found = self.exact.get(escaped_name(key)) if "." in key and not escaped else None
        if found is None:
            found = self.exact.get(key)
        if found is None:
            for prefix, m in self.globs:
                if key.startswith(prefix):
                    found = m
                    break
        self._cache[cache_key] = found
        return found

    def all(self) -> list[MetricDef]:
        return list(self.exact.values()) + [m for _, m in self.globs]


def _is_number(v: Any) -> bool:
    return (type(v) is float or type(v) is int) and not isinstance(v, bool)


@dataclass(slots=True)
class _Agg:
    min: float = math.inf
    max: float = -math.inf
    sum: float = 0.0
    count: int = 0
    first: Any = None
    last: Any = None
    has_first: bool = False
    nan: bool = False  # a NaN was logged: min, max, mean and best are NaN from then on

    def add(self, v: Any) -> None:
        if not self.has_first:
            self.first, self.has_first = v, True
        self.last = v
        if _is_number(v) and math.isnan(v):
            self.nan = True
        elif _is_number(v):
            if v < self.min:
                self.min = v
            if v > self.max:
                self.max = v
            self.sum += v
            self.count += 1

    def add_many(self, values: npt.NDArray[np.float64], ints: npt.NDArray[np.bool_] | None) -> None:
        """``add`` of each value in turn, with numpy: the same first/last/min/max (the first of
        equal extremes wins, as with ``<``), the same sum (``np.add.accumulate`` adds in order,
        like the loop) and count."""
        n = len(values)
        if not n:
            return

        def py(i: int) -> Any:
            return int(values[i]) if ints is not None and ints[i] else float(values[i])

        if not self.has_first:
            self.first, self.has_first = py(0), True
        self.last = py(n - 1)
        finite = ~np.isnan(values)
        keep = np.flatnonzero(finite)
        if keep.size < n:
            self.nan = True
        if not keep.size:
            return
        v = values[keep]
        lo = py(int(keep[int(np.argmin(v))]))
        if lo < self.min:
            self.min = lo
        hi = py(int(keep[int(np.argmax(v))]))
        if hi > self.max:
            self.max = hi
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf and overflow, as floats do
            self.sum = float(np.add.accumulate(np.concatenate(([self.sum], v)))[-1])
        self.count += int(keep.size)

    def value(self, m: MetricDef) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in m.summary:
            if name == "first":
                out["first"] = self.first
            elif name == "last":
                out["last"] = self.last
            elif self.nan and name in ("min", "max", "mean", "best"):
                out[name] = math.nan
            elif self.count:
                if name == "min":
                    out["min"] = self.min
                elif name == "max":
                    out["max"] = self.max
                elif name == "mean":
                    out["mean"] = self.sum / self.count
                elif name == "best":
                    out["best"] = self.max if m.goal == "maximize" else self.min
        return out

    def to_list(self) -> list[Any]:
        return [self.min, self.max, self.sum, self.count, self.first, self.last, self.has_first, self.nan]

    @classmethod
    def from_list(cls, d: list[Any]) -> _Agg:
        return cls(*d)


@dataclass
class SummaryState:
    """Last logged values, aggregates and manual overrides; ``current()`` merges them."""

    last: dict[str, Any] = field(default_factory=dict)
    manual: dict[str, Any] = field(default_factory=dict)
    aggs: dict[str, _Agg] = field(default_factory=dict)
    metrics: MetricTable = field(default_factory=MetricTable)

    def add_row(self, row: dict[str, Any]) -> None:
        manual = self.manual
        if manual:
            for key in row:
                manual.pop(key, None)  # the last value logged becomes the summary again
        self.last.update(row)
        if self.metrics:
            for key, v in row.items():
                if type(v) is dict:
                    self._add_nested((key,), v)
                    continue
                m = self.metrics.lookup(key)
                if m is not None and m.summary:
                    agg = self.aggs.get(key)
                    if agg is None:
                        agg = self.aggs[key] = _Agg()
                    agg.add(v)

    def _add_nested(self, path: tuple[str, ...], value: dict[str, Any]) -> None:
        for k, v in value.items():
            sub = (*path, str(k))
            if type(v) is dict:
                self._add_nested(sub, v)
                continue
            name = escaped_name(sub)
            m = self.metrics.lookup(name, escaped=True)
            if m is not None and m.summary:
                agg = self.aggs.get(name)
                if agg is None:
                    agg = self.aggs[name] = _Agg()
                agg.add(v)

    def add_number_rows(self, last_values: dict[str, Any], column: Callable[[str], Column]) -> None:
        """``add_row`` of many rows of numbers whose keys all have a value in ``last`` already:
        ``last_values`` holds each key's value in the last row holding it (keys in order of first
        appearance), ``column(key)`` all its values in log order (asked for aggregated keys only)."""
        manual = self.manual
        if manual:
            for key in last_values:
                manual.pop(key, None)
        self.last.update(last_values)
        if self.metrics:
            for key in last_values:
                m = self.metrics.lookup(key)
                if m is not None and m.summary:
                    agg = self.aggs.get(key)
                    if agg is None:
                        agg = self.aggs[key] = _Agg()
                    agg.add_many(*column(key))

    def set_manual(self, updates: dict[str, Any], deleted: list[str]) -> None:
        self.manual.update(updates)
        for key in deleted:
            self.manual.pop(key, None)
            self.last.pop(key, None)

    def define(self, m: MetricDef) -> None:
        self.metrics.define(m)

    def current(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, v in self.last.items():
            if self.metrics and type(v) is dict:
                out[key] = self._nested_value((key,), v)
                continue
            value = self._summarised(key, self.metrics.lookup(key) if self.metrics else None, v)
            if value is not _HIDDEN:
                out[key] = value
        out.update(self.manual)
        return out

    def _nested_value(self, path: tuple[str, ...], value: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in value.items():
            sub = (*path, str(k))
            if type(v) is dict:
                out[k] = self._nested_value(sub, v)
                continue
            name = escaped_name(sub)
            value = self._summarised(name, self.metrics.lookup(name, escaped=True), v)
            if value is not _HIDDEN:
                out[k] = value
        return out

    def _summarised(self, name: str, m: MetricDef | None, last: Any) -> Any:
        """The summary value of the metric ``name`` (declared by ``m``, if at all) whose last value is
        ``last``: its aggregate when ``m`` asks for one, ``_HIDDEN`` when it asks for none."""
        if m is None or not m.summary:
            return last
        if m.summary == ("none",):
            return _HIDDEN
        agg = self.aggs.get(name)
        return agg.value(m) if agg is not None and "copy" not in m.summary else last

    def to_dict(self) -> dict[str, Any]:
        return {
            "last": self.last,
            "manual": self.manual,
            "aggs": {k: a.to_list() for k, a in self.aggs.items()},
            "metrics": [m.to_record() for m in self.metrics.all()],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SummaryState:
        s = cls(dict(d["last"]), dict(d["manual"]), {k: _Agg.from_list(v) for k, v in d["aggs"].items()})
        for m in d["metrics"]:
            s.metrics.define(MetricDef.from_record(m))
        return s
