"""A run's derived state, rebuilt by replaying its log (the writer keeps the same object live).

``RunState.apply`` is the one interpretation of records: the writer applies each record it
writes, and readers apply each record they read, so both agree on summary, step and state.
A state can be saved as a snapshot together with the log offset it covers; a reader then
replays only the records after that offset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .records import Kind
from .rowblock import RowsBlock, decode_rows
from .summary import Column, MetricDef, SummaryState

RUNNING, FINISHED, FAILED, CRASHED = "running", "finished", "failed", "crashed"
MAX_ALERTS = 100  # alerts kept in the state (the log keeps every one)


def value_kind(v: Any) -> str:
    """The kind of a logged value as the UI groups them (docs/semantics.md, "One key, one kind")."""
    t = type(v)
    if t is float or t is int:
        return "number"
    if t is bool:
        return "bool"
    if t is str:
        return "string"
    if t is dict:
        kind = v.get("_type")
        return kind if isinstance(kind, str) else "dict"
    if t is list and v and type(v[0]) is dict and isinstance(v[0].get("_type"), str):
        return str(v[0]["_type"])
    return "other"


@dataclass
class RunState:
    id: str = ""
    project: str = ""
    entity: str = "local"
    name: str = ""
    tags: list[str] = field(default_factory=list)
    group: str | None = None
    job_type: str | None = None
    notes: str | None = None
    # who the run belongs to: the OS login of the process that started it (its metadata's
    # "username"), or on a team server the user whose key streamed it (docs/team-server.md)
    user: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    state: str = RUNNING
    exit_code: int | None = None
    error: str | None = None
    ended_at: float | None = None
    last_step: int = -1
    rows: int = 0
    runtime: float = 0.0
    heartbeat_at: float = 0.0
    pid: int = 0
    host: str = ""
    pid_start: str = ""
    system_samples: int = 0  # SYSTEM records so far: the next one's sample number
    alerts: list[dict[str, Any]] = field(default_factory=list)  # the last MAX_ALERTS alerts
    # Writes that failed (full disk): {rows, records, first_step, last_step, error}, totals so far
    lost: dict[str, Any] = field(default_factory=dict)
    key_kinds: dict[str, list[str]] = field(default_factory=dict)
    summary: SummaryState = field(default_factory=SummaryState)
    # Keys that gained a second kind of value since the writer last looked (not persisted).
    new_mixed: list[str] = field(default_factory=list)
    # Keys that have only held numbers: rows of just these skip per-value kind checks.
    numeric_keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.numeric_keys.update(k for k, v in self.key_kinds.items() if v == ["number"])

    def apply(self, record: list[Any]) -> None:
        kind = record[0]
        if kind == _ROW:
            self.apply_row(record[1], record[2], record[3], record[4], None)
        elif kind == Kind.HEARTBEAT:
            self.heartbeat_at, self.runtime = record[1], max(self.runtime, record[2])
        elif kind == Kind.SUMMARY:
            self.summary.set_manual(record[1], record[2])
        elif kind == Kind.CONFIG:
            self.config.update(record[1])
        elif kind == Kind.METRIC:
            self.summary.define(MetricDef.from_record(record[1]))
        elif kind == Kind.START:
            d = record[1]
            self.id, self.project, self.entity = d["id"], d["project"], d.get("entity", "local")
            self.name, self.tags = d["name"], list(d.get("tags") or [])
            self.group, self.job_type, self.notes = d.get("group"), d.get("job_type"), d.get("notes")
            self.config.update(d.get("config") or {})
            self.metadata.update(d.get("metadata") or {})
            self.user = str(self.metadata.get("username") or "")
            self.created_at = self.heartbeat_at = d["created_at"]
            self.pid, self.host, self.pid_start = d.get("pid", 0), d.get("host", ""), d.get("pid_start", "")
        elif kind == Kind.UPDATE:
            for key, v in record[1].items():
                setattr(self, key, list(v) if key == "tags" else v)
        elif kind == Kind.METADATA:
            self.metadata.update(record[1])
        elif kind == Kind.RESUME:
            self.heartbeat_at = record[1]
            d = record[2]
            self.pid, self.host, self.pid_start = d.get("pid", 0), d.get("host", ""), d.get("pid_start", "")
            self.state, self.exit_code, self.ended_at, self.error = RUNNING, None, None, None
        elif kind == Kind.SYSTEM:
            self.system_samples = max(self.system_samples, int(record[1]) + 1)
            self.heartbeat_at = record[2]
            if not self.numeric_keys.issuperset(record[4]):
                self._track_kinds(record[4])
        elif kind == Kind.ALERT:
            self.alerts.append({"ts": record[1], **record[2]})
            del self.alerts[:-MAX_ALERTS]
        elif kind == Kind.ROWS:
            self.apply_rows(decode_rows(record))
        elif kind == Kind.LOSS:
            self.lost = dict(record[2])  # totals: applying it twice (snapshot, then replay) is harmless
        elif kind == Kind.END:
            _, ts, runtime, exit_code, extra = record
            self.ended_at, self.runtime, self.exit_code = ts, runtime, exit_code
            self.state = FINISHED if exit_code == 0 else FAILED
            self.error = extra.get("error")

    def apply_row(self, step: int, ts: float, runtime: float, data: dict[str, Any], known_numeric: bool | None) -> None:
        """Apply a ROW record. ``known_numeric``: the writer already knows every value is a number
        under a key that only ever held numbers (None: find out here)."""
        self.last_step = step
        self.rows += 1
        self.runtime = runtime
        self.heartbeat_at = ts
        if known_numeric is None:
            known_numeric = _NUMBER_TYPES.issuperset(set(map(type, data.values()))) and self.numeric_keys.issuperset(
                data.keys()
            )
        if not known_numeric:
            self._track_kinds(data)
        self.summary.add_row(data)
        last = self.summary.last
        last["_step"] = step
        last["_timestamp"] = ts
        last["_runtime"] = runtime

    def numbers_ready(self, keys: Iterable[str]) -> bool:
        """Whether ROW records of numbers under ``keys`` would change neither the key kinds nor
        the keys of ``summary.last`` (each key already held a number and has a last value), so
        that ``apply_number_rows`` may apply many of them at once."""
        last = self.summary.last
        if "_step" not in last or "_timestamp" not in last or "_runtime" not in last:
            return False
        kinds = self.key_kinds
        for key in keys:
            known = kinds.get(key)
            if known is None or "number" not in known or key not in last:
                return False
        return True

    def apply_number_rows(self, count: int, step: int, ts: float, runtime: float, last_values: dict[str, Any],
                          column: Callable[[str], Column]) -> None:
        """Apply ``count`` consecutive ROW records whose values are all numbers under keys for which
        ``numbers_ready`` holds: the same state as ``apply_row`` on each in turn.

        ``step``, ``ts``, ``runtime``: those of the last record; ``last_values``: each key's value in
        the last record holding it, keys in order of first appearance; ``column(key)``: every value
        of the key in log order (only asked for keys that ``define_metric`` aggregates)."""
        self.last_step = step
        self.rows += count
        self.runtime = runtime
        self.heartbeat_at = ts
        self.summary.add_number_rows(last_values, column)
        last = self.summary.last
        last["_step"] = step
        last["_timestamp"] = ts
        last["_runtime"] = runtime

    def apply_rows(self, block: RowsBlock) -> None:
        """Apply a ROWS record: the same state as ``apply_row`` on each of its rows."""
        n = len(block.steps)
        if not n:
            return
        first = 0
        if not self.numbers_ready(block.keys):
            self.apply_row(*block.row(0), None)
            first = 1
        if n > first:
            values = block.values
            index = {key: j for j, key in enumerate(block.keys)}
            self.apply_number_rows(
                n - first, int(block.steps[-1]), float(block.ts[-1]), float(block.rt[-1]),
                dict(zip(block.keys, values[-1].tolist(), strict=True)),
                lambda key: (values[first:, index[key]], None),
            )

    def _track_kinds(self, data: dict[str, Any]) -> None:
        kinds = self.key_kinds
        for key, v in data.items():
            k = value_kind(v)
            known = kinds.get(key)
            if known is None:
                kinds[key] = [k]
                if k == "number":
                    self.numeric_keys.add(key)
            elif k not in known:
                known.append(k)
                self.new_mixed.append(key)
                self.numeric_keys.discard(key)

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in _PLAIN_FIELDS}
        d["summary"] = self.summary.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunState:
        s = cls(**{k: d[k] for k in _PLAIN_FIELDS if k in d})
        s.summary = SummaryState.from_dict(d["summary"])
        if "user" not in d:  # saved before the user was kept: the login its start record names
            s.user = str(s.metadata.get("username") or "")
        return s


_PLAIN_FIELDS = [f for f in RunState.__dataclass_fields__ if f not in ("summary", "new_mixed", "numeric_keys")]
_ROW = int(Kind.ROW)
_NUMBER_TYPES = frozenset({float, int})
