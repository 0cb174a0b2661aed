"""``runyard export RUN_OR_PROJECT --format parquet|csv|jsonl``: runs out to open formats.

For each run, ``<out>/<project>/<run id>.history.<ext>`` holds every history row, unsampled (one
column per key, plus ``_step``, ``_timestamp``, ``_runtime``); ``<out>/<project>/runs.<ext>`` holds
one row per exported run: id, name, state, group, tags, created_at, runtime, then ``config.<key>``
and ``summary.<key>`` columns. Rich values (images, tables, ...) are written as their stored
reference in JSON (``docs/media-refs.md``): the files themselves stay in the run folder.

Floats are exact in Parquet (NaN and ±inf included). CSV writes them as ``nan``, ``inf``, ``-inf``,
which pandas reads back; JSON Lines uses the tagged form of ``docs/http-api.md``
(``{"$float": "NaN"}``) where JSON has no number for them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .. import jsonvalue

FORMATS = ("parquet", "csv", "jsonl")


def cell(value: Any) -> Any:
    """A value a table column can hold: scalars as they are, rich values and nested data as JSON."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    ref = getattr(value, "ref", None)
    if isinstance(ref, dict):
        return json.dumps(ref, sort_keys=True, default=str)
    return json.dumps(_json_safe(value), sort_keys=True, default=str)


def _json_safe(value: Any) -> Any:
    """Views as their references, then the tagged JSON form of ``jsonvalue`` (NaN, ±inf, big ints)."""
    return jsonvalue.encode(_refs(value))


def _refs(value: Any) -> Any:
    ref = getattr(value, "ref", None)
    if isinstance(ref, dict):
        return ref
    if isinstance(value, dict):
        return {str(k): _refs(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_refs(v) for v in value]
    return value


def run_record(run: Any) -> dict[str, Any]:
    """The row of ``runs.<ext>`` for one run."""
    row: dict[str, Any] = {
        "id": run.id, "name": run.name, "state": run.state, "group": getattr(run, "group", None),
        "tags": json.dumps(list(getattr(run, "tags", []) or [])), "created_at": run.created_at,
        "runtime": getattr(run, "runtime", None),
    }
    for key, value in sorted((run.config or {}).items()):
        row[f"config.{key}"] = cell(value)
    for key, value in sorted(dict(run.summary).items()):
        row[f"summary.{key}"] = cell(value)
    return row


def _history(run: Any) -> Iterator[dict[str, Any]]:
    for row in run.scan_history():
        yield {k: cell(v) for k, v in row.items()}


def write_table(rows: Iterable[dict[str, Any]], path: Path, fmt: str) -> int:
    """Write ``rows`` to ``path`` in ``fmt``; returns the number of rows. A key missing from a row
    is null in Parquet, empty in CSV and absent in JSON Lines — never confused with NaN."""
    if fmt == "jsonl":
        n = 0
        with open(path, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(_json_safe(row), allow_nan=False) + "\n")
                n += 1
        return n
    kept = list(rows)
    columns = list(dict.fromkeys(k for row in kept for k in row))
    if fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            for row in kept:
                writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
        return len(kept)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("export to parquet needs pyarrow: pip install 'runyard[export]'") from None
    arrays = {c: _column([row.get(c) for row in kept], pa) for c in columns}
    pq.write_table(pa.table(arrays) if arrays else pa.table({"_step": pa.array([], pa.int64())}), path)
    return len(kept)


def _column(values: list[Any], pa: Any) -> Any:
    """One Arrow column: numbers as float64 (int64 when all are ints), strings, bools; a column
    whose values are of several kinds is written as text."""
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {bool}:
        return pa.array(values, pa.bool_())
    if kinds <= {int}:
        try:
            return pa.array(values, pa.int64())
        except OverflowError:
            return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if kinds <= {int, float}:
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if kinds <= {str}:
        return pa.array(values, pa.string())
    return pa.array([None if v is None else v if isinstance(v, str) else json.dumps(_json_safe(v))
                     for v in values], pa.string())


def write_history(run: Any, path: Path, fmt: str) -> Path:
    """Every history row of ``run`` (a read-API run), unsampled, to ``path`` in ``fmt``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_table(_history(run), path, fmt)
    return path


def export_runs(
    runs: Iterable[Any], out: str | Path, fmt: str, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Export ``runs`` (read-API run objects) under ``out``; returns counts of runs and rows."""
    if fmt not in FORMATS:
        raise ValueError(f"export: format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = Path(out)
    by_project: dict[str, list[dict[str, Any]]] = {}
    counts = {"runs": 0, "rows": 0}
    for run in runs:
        folder = out / run.project
        folder.mkdir(parents=True, exist_ok=True)
        counts["rows"] += write_table(_history(run), folder / f"{run.id}.history.{fmt}", fmt)
        by_project.setdefault(run.project, []).append(run_record(run))
        counts["runs"] += 1
        if progress is not None:
            progress(1)
    for project, records in by_project.items():
        write_table(records, out / project / f"runs.{fmt}", fmt)
    return counts
