"""The rows of ``run_fields``: a run's config, summary and tags flattened, for filters and sorts.

Ingest rewrites a run's rows after every batch it applies, and on a live run most batches change
the summary but not the config or the tags. So the rows come in two parts, the summary's and the
rest (config and tags), and a part is rewritten only when its digest differs from the one saved
with the run's cursor (``FieldRows.digests``): a run with 50 config values then writes its 50
config rows once, not once per batch. A cursor saved before the digests existed has none, and
its rows are rewritten whole once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import msgpack

from ..log.state import RunState
from .jsonutil import dumps

SUMMARY_PREFIX = "summary."
# the parts of a run's rows, in the order of ``FieldRows.digests``
OTHER, SUMMARY = 0, 1


def _flatten(prefix: str, d: dict[str, Any], out: list[tuple[str, Any]], sep: str = ".") -> None:
    for k, v in d.items():
        name = f"{prefix}{sep}{k}"
        if type(v) is dict and not isinstance(v.get("_type"), str):
            _flatten(name, v, out, sep)
        else:
            out.append((name, v))


def field_rows(run_pk: int, state: RunState, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Flattened config/summary/tags of a run: the rows of ``run_fields``."""
    pairs: list[tuple[str, Any]] = []
    _flatten("config", state.config, pairs)
    _flatten("summary", summary, pairs)
    rows = []
    for name, v in pairs:
        num: float | None = None
        text: str | None = None
        t = type(v)
        if t is bool or t is int or t is float:
            fv = float(v)
            if fv == fv and abs(fv) != float("inf"):
                num = fv
            else:
                text = dumps(fv).strip('"')
        elif t is str:
            text = v
        elif v is not None:
            text = dumps(v)
        rows.append({"run_pk": run_pk, "field": name, "num": num, "text": text})
    for tag in state.tags:
        rows.append({"run_pk": run_pk, "field": "tags", "num": None, "text": str(tag)})
    return rows


def _digest(rows: list[dict[str, Any]]) -> bytes:
    # msgpack keeps floats exact (a repr would cost more); NaN never reaches ``num`` (see field_rows)
    packed = msgpack.packb([(r["field"], r["num"], r["text"]) for r in rows])
    return hashlib.blake2b(packed, digest_size=16).digest()


@dataclass
class FieldRows:
    """A run's rows split into its two parts, and what to write of them after a batch."""

    parts: tuple[list[dict[str, Any]], list[dict[str, Any]]]
    digests: list[bytes]

    @classmethod
    def of(cls, run_pk: int, state: RunState, summary: dict[str, Any]) -> FieldRows:
        other: list[dict[str, Any]] = []
        summ: list[dict[str, Any]] = []
        for row in field_rows(run_pk, state, summary):
            (summ if row["field"].startswith(SUMMARY_PREFIX) else other).append(row)
        return cls((other, summ), [_digest(other), _digest(summ)])

    def changed(self, before: Any) -> list[int]:
        """The parts to rewrite, given the digests saved with the last write (None: unknown)."""
        if not isinstance(before, list) or len(before) != len(self.digests):
            return [OTHER, SUMMARY]
        return [i for i, (a, b) in enumerate(zip(before, self.digests, strict=True)) if bytes(a) != b]
