"""``runyard import mlflow TRACKING_URI``: MLflow experiments and runs, through MLflow's own client.

Mapped (the ``import-mlflow`` extra installs MLflow):

- each experiment → a project (its name, made safe for a folder name; ``--project`` overrides);
- each run → a run with MLflow's run id, run name, start and end times and status (FINISHED →
  finished, FAILED/KILLED → failed, a run still RUNNING → crashed: nothing will end it);
- params → config (numbers and booleans written as text by MLflow are read back as such);
- every metric's full history (``get_metric_history``) with its steps and timestamps → history,
  values of one step merged into one row; a second value for the same key and step is counted
  as not mapped (runyard keeps one value per key and step);
- tags: ``mlflow.note.content`` → notes, ``mlflow.*`` system tags → metadata, user tags → tags
  written ``key=value`` and kept whole in the metadata;
- artifacts: images (``.png``, ``.jpg``, ``.jpeg``, ``.gif``) → ``Image`` values in the summary
  under ``artifacts/<path>``; every artifact file is also copied to the run's ``files/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .report import ImportReport
from .sink import ImportedRun, project_name, run_exists

_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".gif")
_STATUS = {"FINISHED": 0, "FAILED": 1, "KILLED": 1}


def _client(tracking_uri: str) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ImportError("importing from MLflow needs MLflow: pip install 'runyard[import-mlflow]'") from None
    return MlflowClient(tracking_uri=tracking_uri)


def param_value(text: str) -> Any:
    """MLflow keeps params as text: read back ints, floats and booleans whose text round-trips."""
    if text in ("True", "False", "true", "false"):
        return text.lower() == "true"
    for cast in (int, float):
        try:
            value = cast(text)
        except ValueError:
            continue
        if cast is int or repr(value) == text or str(value) == text:
            return value
    return text


def import_tracking(
    tracking_uri: str,
    root: str | Path,
    project: str | None = None,
    experiments: list[str] | None = None,
    force: bool = False,
    report: ImportReport | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the runs of every experiment (or of ``experiments``, by name) at ``tracking_uri``."""
    report = report or ImportReport()
    client = _client(tracking_uri)
    for exp in client.search_experiments():
        if experiments and exp.name not in experiments:
            continue
        target = project or project_name(exp.name, "mlflow")
        page_token = None
        while True:
            runs = client.search_runs([exp.experiment_id], max_results=1000, page_token=page_token)
            for run in runs:
                _import_run(client, run, Path(root), target, force, report, progress)
            page_token = runs.token
            if not page_token:
                break
    return report


def _import_run(
    client: Any, run: Any, root: Path, project: str, force: bool, report: ImportReport,
    progress: Callable[[int], None] | None,
) -> None:
    info, data = run.info, run.data
    if run_exists(root, project, info.run_id) and not force:
        report.skip(root / project / info.run_id)
        return
    rows: dict[int, tuple[float, dict[str, Any]]] = {}
    for key in sorted(data.metrics):
        for m in client.get_metric_history(info.run_id, key):
            ts = m.timestamp / 1000.0
            row = rows.setdefault(int(m.step), (ts, {}))
            if key in row[1]:
                report.not_mapped("MLflow metric values logged twice at one step")
            row[1][key] = float(m.value)
            if ts > row[0]:
                rows[int(m.step)] = (ts, row[1])
    tags = dict(data.tags)
    system = {k: v for k, v in tags.items() if k.startswith("mlflow.")}
    user = {k: v for k, v in tags.items() if not k.startswith("mlflow.")}
    start = (info.start_time or 0) / 1000.0
    metadata = {"source": "mlflow", "mlflow_experiment_id": info.experiment_id, "mlflow_tags": user, **system}
    with ImportedRun(
        root, project, info.run_id, report=report, name=info.run_name or None, created_at=start,
        config={k: param_value(v) for k, v in data.params.items()},
        tags=[f"{k}={v}" if v else k for k, v in user.items()],
        notes=system.get("mlflow.note.content"), metadata=metadata,
    ) as out:
        for step in sorted(rows):
            if step < 0:
                report.not_mapped("MLflow metric values at a negative step")
                continue
            ts, values = rows[step]
            out.row(step, ts, values)
            if progress is not None:
                progress(len(values))
        images = _artifacts(client, info.run_id, out.folder / "files", report)
        if images:
            out.summary(images)
        if info.status in _STATUS:
            end = (info.end_time or info.start_time or 0) / 1000.0
            out.end(end, _STATUS[info.status], None if info.status == "FINISHED" else info.status.lower())


def _artifacts(client: Any, run_id: str, files: Path, report: ImportReport) -> dict[str, Any]:
    """Download every artifact into ``files``; return the images as summary values."""
    from ..types.image import Image

    images: dict[str, Any] = {}
    stack = [None]
    while stack:
        path = stack.pop()
        for entry in client.list_artifacts(run_id, path):
            if entry.is_dir:
                stack.append(entry.path)
                continue
            files.mkdir(parents=True, exist_ok=True)
            local = Path(client.download_artifacts(run_id, entry.path, str(files)))
            if local.suffix.lower() in _IMAGE_EXT:
                try:
                    images[f"artifacts/{entry.path}"] = Image(str(local))
                except Exception:
                    report.not_mapped("MLflow image artifacts that failed to decode")
    return images
