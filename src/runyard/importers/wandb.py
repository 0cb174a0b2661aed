"""``runyard import wandb PATH...``: wandb run folders (offline ``offline-run-*`` or synced ``run-*``).

Each folder's ``run-<id>.wandb`` transaction log is read with ``leveldb_log`` and its records
parsed with the ``wandb`` package's own protobuf classes (the ``import-wandb`` extra). Mapped:

- the run record: id, name, project, group, job type, notes, tags, config, start time;
- history rows with their steps and wall times; wandb's media references (``image-file``,
  ``histogram``, ``table-file``, ``audio-file``, ``video-file``, ``html-file``, ``plotly-file``,
  ``object3D-file``, ``molecule-file``, lists of images) become runyard media read from the run's
  ``files/`` folder;
- the final summary (values that differ from the last logged ones, and keys only in the summary);
- system metrics (``stats`` records) → runyard's system-metric stream (``system/...`` keys);
- console output, environment metadata, the exit code (a run without an exit record reads back
  as crashed), and the other files of ``files/`` (copied to the run's ``files/``).

Artifacts are counted as not mapped.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .leveldb_log import WandbLogError, read_records
from .report import ImportReport
from .sink import ImportedRun, run_exists

_STDERR = 0  # OutputRawRecord.OutputType: STDERR = 0, STDOUT = 1
SKIP_FILES = {"wandb-summary.json", "config.yaml", "wandb-metadata.json", "output.log", "media"}


def _record_class() -> Any:
    try:
        from wandb.proto import wandb_internal_pb2
    except ImportError:
        raise ImportError(
            "importing wandb runs needs the wandb package's protobuf classes: pip install "
            "'runyard[import-wandb]' (and run the import without the runyard-as-wandb alias on)"
        ) from None
    if not hasattr(wandb_internal_pb2, "Record"):
        raise ImportError("`wandb` here is not the wandb package (is the runyard-as-wandb alias on?)")
    return wandb_internal_pb2.Record


def find_run_files(paths: Iterable[str | Path]) -> list[Path]:
    """The ``.wandb`` files of the given run folders, files, or folders holding run folders."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_file() and p.suffix == ".wandb":
            found.append(p)
        elif p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.wandb") if q.is_file()))
        else:
            raise FileNotFoundError(f"no wandb run folder or .wandb file at {p}")
    return sorted(set(found))


def _json(text: str) -> Any:
    # wandb writes non-finite floats as bare NaN / Infinity / -Infinity, which Python's json reads.
    return json.loads(text)


def _set_nested(d: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        nxt = d.get(key)
        if not isinstance(nxt, dict):
            nxt = d[key] = {}
        d = nxt
    d[path[-1]] = value


def _items(items: Any) -> dict[str, Any]:
    """The items of a history/config/summary record as a (nested) dict. Every value is JSON: they are
    parsed in one ``json.loads`` of a list, about ten times faster than one call per item."""
    items = list(items)
    if not items:
        return {}
    values = _json("[" + ",".join(item.value_json for item in items) + "]")
    out: dict[str, Any] = {}
    for item, value in zip(items, values, strict=True):
        nested: Any = getattr(item, "nested_key", ())  # stats items have only a key
        if len(nested) == 1:
            out[nested[0]] = value
        elif nested:
            _set_nested(out, list(nested), value)
        else:
            out[item.key] = value
    return out


class Mapper:
    """wandb value dicts → runyard values, reading media files from the wandb run's ``files/``."""

    def __init__(self, files: Path, report: ImportReport) -> None:
        self.files, self.report = files, report

    def value(self, v: Any) -> Any:
        if isinstance(v, dict):
            kind = v.get("_type")
            if isinstance(kind, str):
                return self.media(kind, v)
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, list):
            return [self.value(x) for x in v]
        return v

    def media(self, kind: str, v: dict[str, Any]) -> Any:
        from .. import types as t

        path = self.files / str(v.get("path", ""))
        caption = v.get("caption")
        if kind == "histogram":
            import numpy as np

            return t.Histogram(np_histogram=(np.asarray(v["values"], float), np.asarray(v["bins"], float)))
        if kind == "images/separated":
            names = v.get("filenames") or []
            caps = v.get("captions") or [None] * len(names)
            return [t.Image(str(self.files / n), caption=c) for n, c in zip(names, caps, strict=False)]
        if not path.is_file():
            self.report.not_mapped(f"wandb {kind} values whose file is missing")
            return None
        if kind == "image-file":
            return t.Image(str(path), caption=caption)
        if kind == "audio-file":
            return t.Audio(str(path), caption=caption)
        if kind == "video-file":
            return t.Video(str(path), caption=caption)
        if kind == "html-file":
            return t.Html(path.read_text(encoding="utf-8"))
        if kind == "object3D-file":
            return t.Object3D(str(path))
        if kind == "molecule-file":
            return t.Molecule(str(path), caption=caption)
        if kind == "plotly-file":
            return t.Plotly(json.loads(path.read_text(encoding="utf-8")))
        if kind == "table-file":
            table = json.loads(path.read_text(encoding="utf-8"))
            return t.Table(columns=table["columns"], data=table["data"])
        self.report.not_mapped(f"wandb {kind} values")
        return None


_MB = 1024 * 1024
# wandb's system-metric names → runyard's (docs/run-log.md), with the factor to runyard's unit.
_SYSTEM_NAMES = {
    "cpu": ("cpu.process_percent", 1.0),
    "memory_percent": ("memory.percent", 1.0),
    "proc.memory.availableMB": ("memory.available_mb", 1.0),
    "proc.memory.rssMB": ("proc.rss_mb", 1.0),
    "network.sent": ("network.sent_mb", 1 / _MB),
    "network.recv": ("network.recv_mb", 1 / _MB),
}
_GPU_NAMES = {"gpu": "utilization_percent", "temp": "temperature_c", "powerWatts": "power_watts"}


def system_metrics(values: dict[str, Any]) -> dict[str, float]:
    """wandb's ``stats`` items as runyard ``system/...`` keys: the metrics both record under
    runyard's names and units, the others under ``system/<wandb name>``."""
    out: dict[str, float] = {}
    for key, value in values.items():
        if type(value) not in (int, float):
            continue
        name, factor = _SYSTEM_NAMES.get(key, (key, 1.0))
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "gpu" and parts[2] in _GPU_NAMES:
            name = f"gpu.{parts[1]}.{_GPU_NAMES[parts[2]]}"
        elif key.startswith("disk.") and key.endswith(".usagePercent"):
            name = "disk.used_percent"
        out[f"system/{name}"] = float(value) * factor
    return out


def clean_row(d: dict[str, Any], mapper: Mapper) -> dict[str, Any]:
    """A row's values as runyard values, wandb's own ``_``-keys left out."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        if key[0] == "_":
            continue
        if type(value) is float or type(value) is int:
            out[key] = value
            continue
        mapped = mapper.value(value)
        if mapped is not None:
            out[key] = mapped
    return out


def _ts(stamp: Any) -> float:
    return float(stamp.seconds) + float(stamp.nanos) / 1e9


def import_runs(
    paths: Iterable[str | Path],
    root: str | Path,
    project: str | None = None,
    force: bool = False,
    report: ImportReport | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import every wandb run found under ``paths`` into the runyard folder ``root``."""
    report = report or ImportReport()
    files = find_run_files(paths)
    if not files:
        raise FileNotFoundError("no wandb runs (*.wandb files) under the given paths")
    for log_file in files:
        try:
            _import_one(log_file, Path(root), project, force, report, progress)
        except (WandbLogError, OSError, ValueError) as e:  # one damaged run must not stop the others
            report.errors.append(f"{log_file}: {e}; that run was not imported")
    return report


def _import_one(
    log_file: Path, root: Path, project: str | None, force: bool, report: ImportReport,
    progress: Callable[[int], None] | None,
) -> None:
    record_cls = _record_class()
    records = (record_cls.FromString(payload) for payload in read_records(log_file))
    run_rec = None
    pending: list[Any] = []
    for rec in records:  # the run record comes first but for a header or two
        if rec.WhichOneof("record_type") == "run":
            run_rec = rec.run
            break
        pending.append(rec)
    if run_rec is None:
        report.errors.append(f"{log_file}: no run record; not imported")
        return
    target = project or run_rec.project or "uncategorized"
    if run_exists(root, target, run_rec.run_id) and not force:
        report.skip(root / target / run_rec.run_id)
        return
    run_dir = log_file.parent
    mapper = Mapper(run_dir / "files", report)
    config = {k: v.get("value", v) if isinstance(v, dict) and "value" in v else v
              for k, v in _items(run_rec.config.update).items() if k != "_wandb"}
    start = _ts(run_rec.start_time)
    history_last: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    exit_rec = None
    metadata: dict[str, Any] = {"source": "wandb", "source_path": str(run_dir.resolve())}
    with ImportedRun(
        root, target, run_rec.run_id, report=report, name=run_rec.display_name or None, created_at=start,
        config=config, tags=list(run_rec.tags), group=run_rec.run_group or None,
        job_type=run_rec.job_type or None, notes=run_rec.notes or None, metadata=metadata,
    ) as out:
        for rec in _chain(pending, records):
            kind = rec.WhichOneof("record_type")
            if kind == "history":
                values = _items(rec.history.item)
                step = int(values.get("_step", rec.history.step.num))
                ts = float(values.get("_timestamp", start))
                row = clean_row(values, mapper)
                history_last.update(row)
                out.row(step, ts, row)
                if progress is not None:
                    progress(len(row))
            elif kind == "summary":
                for item in rec.summary.update:
                    _set_nested(summary, list(item.nested_key) or [item.key], _json(item.value_json))
                for item in rec.summary.remove:
                    summary.pop((list(item.nested_key) or [item.key])[0], None)
            elif kind == "output_raw" or kind == "output":
                o = getattr(rec, kind)
                out.output(_ts(o.timestamp), o.line, 2 if o.output_type == _STDERR else 1)
            elif kind == "config":
                config.update(_items(rec.config.update))
            elif kind == "exit":
                exit_rec = rec.exit
            elif kind == "environment":
                from google.protobuf.json_format import MessageToDict

                metadata.update(MessageToDict(rec.environment))
            elif kind == "stats":
                out.system(_ts(rec.stats.timestamp), system_metrics(_items(rec.stats.item)))
            elif kind == "artifact":
                report.not_mapped("wandb artifacts")
        final = {k: v for k, v in clean_row(summary, mapper).items() if not same_value(history_last.get(k), v)}
        if final:
            out.summary(final)
        _copy_files(run_dir / "files", out.folder / "files")
        if exit_rec is not None:
            out.end(start + float(exit_rec.runtime), int(exit_rec.exit_code))


def _chain(first: list[Any], rest: Iterable[Any]) -> Iterable[Any]:
    yield from first
    yield from rest


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (dict, list)) or hasattr(a, "to_ref"):
        return True  # media and nested values: the last logged one is the summary already
    return bool(a == b)


def _copy_files(src: Path, dst: Path) -> None:
    if not src.is_dir():
        return
    for p in src.rglob("*"):
        rel = p.relative_to(src)
        if not p.is_file() or rel.parts[0] in SKIP_FILES:
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, target)
