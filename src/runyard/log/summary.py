"""Summary bookkeeping shared by the writer and every reader (docs/semantics.md: "Summary", "define_metric").

The summary of a run is derived from its log: the last value logged for each key, replaced by
the aggregates ``define_metric`` asked for, and overridden by manual edits. Manual values stay
until they are set again or deleted (then the key goes back to its last logged value).
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


@dataclass(slots=True)
class MetricDef:
    """One ``define_metric`` declaration; ``name`` may end with a ``*`` glob."""

    name: str
    step_metric: str | None = None
    summary: tuple[str, ...] = ()
    goal: str | None = None
    hidden: bool = False

    def to_record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "step_metric": self.step_metric,
            "summary": list(self.summary),
            "goal": self.goal,
            "hidden": self.hidden,
        }

    @classmethod
    def from_record(cls, d: dict[str, Any]) -> MetricDef:
        return cls(d["name"], d.get("step_metric"), tuple(d.get("summary") or ()),
                   d.get("goal"), bool(d.get("hidden")))


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
        if m.name.endswith("*"):
            prefix = m.name[:-1]
            self.globs = [(p, d) for p, d in self.globs if p != prefix] + [(prefix, m)]
            self.globs.sort(key=lambda item: -len(item[0]))
        else:
            self.exact[m.name] = m
        self._cache.clear()
        self.has_step_metrics = any(d.step_metric for d in self.all())

    def lookup(self, key: str) -> MetricDef | None:
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = self.exact.get(key)
        if found is None:
            for prefix, m in self.globs:
                if key.startswith(prefix):
                    found = m
                    break
        self._cache[key] = found
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

    def add(self, v: Any) -> None:
        if not self.has_first:
            self.first, self.has_first = v, True
        self.last = v
        if _is_number(v) and not math.isnan(v):
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
        keep = np.flatnonzero(~np.isnan(values))
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
        return [self.min, self.max, self.sum, self.count, self.first, self.last, self.has_first]

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
        self.last.update(row)
        if self.metrics:
            for key, v in row.items():
                m = self.metrics.lookup(key)
                if m is not None and m.summary:
                    agg = self.aggs.get(key)
                    if agg is None:
                        agg = self.aggs[key] = _Agg()
                    agg.add(v)

    def add_number_rows(self, last_values: dict[str, Any], column: Callable[[str], Column]) -> None:
        """``add_row`` of many rows of numbers whose keys all have a value in ``last`` already:
        ``last_values`` holds each key's value in the last row holding it (keys in order of first
        appearance), ``column(key)`` all its values in log order (asked for aggregated keys only)."""
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
            m = self.metrics.lookup(key) if self.metrics else None
            if m is not None and m.summary:
                if m.summary == ("none",):
                    continue
                agg = self.aggs.get(key)
                out[key] = agg.value(m) if agg is not None else v
            else:
                out[key] = v
        out.update(self.manual)
        return out

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
