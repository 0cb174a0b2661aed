"""``runyard import wandb --from-server ENTITY/PROJECT[/RUN_ID]...``: runs pulled from a W&B server.

Only wandb's public read API is used (``wandb.Api()``: ``runs``/``run``, a run's ``id``, ``name``,
``config``, ``summary``, ``tags``, ``group``, ``job_type``, ``notes``, ``created_at``, ``state``,
``scan_history()``, ``files()`` and ``file(name).download()``), with the key of ``WANDB_API_KEY`` (or
``wandb login``) and the server of ``WANDB_BASE_URL``. History rows arrive as wandb's JSON, so media
references map to runyard media as in the offline importer (``importers/wandb.py``): each media file
is downloaded once into a scratch folder, then stored by content hash in the run.

runyard's own ``Api(base_url=...)`` offers the same surface, which is how the tests check this
importer on a real server without a W&B account.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .report import ImportReport
from .sink import ImportedRun, run_exists
from .wandb import SKIP_FILES, Mapper, clean_row, same_value

_EXIT = {"finished": 0, "failed": 1, "killed": 255}  # crashed or running: no exit record (reads as crashed)


def wandb_api(base_url: str | None = None) -> Any:
    """``wandb.Api()`` of the real wandb package (never runyard's alias)."""
    try:
        import wandb
        from wandb.apis import public  # noqa: F401 - only the real package has it
    except ImportError:
        raise ImportError("pulling runs from a W&B server needs the wandb package: pip install "
                          "'runyard[import-wandb]' (and run it with the runyard-as-wandb alias off)") from None
    try:
        return wandb.Api(overrides={"base_url": base_url} if base_url else {}, timeout=60)
    except Exception as e:  # wandb checks the key with the server as it starts
        where = base_url or "the W&B server of WANDB_BASE_URL (default api.wandb.ai)"
        raise ValueError(f"could not sign in to {where} with wandb.Api(): {type(e).__name__}: {str(e)[:300]} "
                         "(set WANDB_API_KEY, or run `wandb login`)") from None


class _Downloads(Mapper):
    """Media references of a remote run, their files fetched on first use."""

    def __init__(self, run: Any, scratch: Path, report: ImportReport) -> None:
        super().__init__(scratch, report)
        self.run = run
        self.fetched: set[str] = set()

    def media(self, kind: str, v: dict[str, Any]) -> Any:
        for name in [v.get("path")] + list(v.get("filenames") or []):
            if isinstance(name, str) and name and name not in self.fetched:
                self.fetched.add(name)
                try:
                    self.run.file(name).download(root=str(self.files), replace=True)
                except Exception as e:  # a missing file is counted by the mapper below
                    if len(self.report.errors) < 20:
                        self.report.errors.append(f"{self.run.id}: could not download {name}: {e}")
        return super().media(kind, v)


def _created(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).replace("Z", "+00:00")
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)  # wandb's created_at is UTC without an offset
    return stamp.timestamp()


def _runs(api: Any, path: str) -> list[Any]:
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) == 3:
        return [api.run("/".join(parts))]
    if len(parts) == 2 or len(parts) == 1:
        return list(api.runs("/".join(parts)))
    raise ValueError(f"name runs as ENTITY/PROJECT or ENTITY/PROJECT/RUN_ID, not {path!r}")


def import_from_server(
    paths: Iterable[str],
    root: str | Path,
    project: str | None = None,
    force: bool = False,
    report: ImportReport | None = None,
    progress: Callable[[int], None] | None = None,
    api: Any = None,
    base_url: str | None = None,
) -> ImportReport:
    """Import the runs named by ``paths`` from a W&B server (``api``: a ``wandb.Api``)."""
    report = report or ImportReport()
    api = api if api is not None else wandb_api(base_url)
    for path in paths:
        try:
            runs = _runs(api, path)
        except ValueError:
            raise
        except Exception as e:  # the server refused or is not a W&B server: said, and the next path goes on
            report.errors.append(f"{path}: {type(e).__name__}: {str(e)[:300]}")
            continue
        if not runs:
            report.errors.append(f"{path}: no runs there")
        for run in runs:
            try:
                _import_run(api, run, Path(root), project, force, report, progress)
            except Exception as e:  # one run that fails to read must not stop the others
                report.errors.append(f"{path}/{getattr(run, 'id', '?')}: {type(e).__name__}: {e}; not imported")
    return report


def _import_run(api: Any, run: Any, root: Path, project: str | None, force: bool, report: ImportReport,
                progress: Callable[[int], None] | None) -> None:
    target = project or run.project
    if run_exists(root, target, run.id) and not force:
        report.skip(root / target / run.id)
        return
    start = _created(run.created_at)
    with tempfile.TemporaryDirectory(prefix="runyard-wandb-") as scratch:
        mapper = _Downloads(run, Path(scratch), report)
        config = {str(k): v for k, v in dict(run.config).items() if not str(k).startswith("_wandb")}
        meta = {"source": "wandb-server", "source_url": str(getattr(run, "url", "") or "")}
        last: dict[str, Any] = {}
        last_ts = start
        with ImportedRun(root, target, run.id, report=report, name=run.name or None, created_at=start,
                         config=config, tags=list(run.tags or []), group=run.group or None,
                         job_type=run.job_type or None, notes=run.notes or None, metadata=meta) as out:
            for row in run.scan_history(page_size=1000):
                step = row.get("_step")
                if not isinstance(step, int):
                    report.not_mapped("wandb rows without a step")
                    continue
                ts = row.get("_timestamp")
                last_ts = float(ts) if isinstance(ts, (int, float)) else last_ts
                values = clean_row(row, mapper)
                last.update(values)
                out.row(step, last_ts, values)
                if progress is not None:
                    progress(len(values))
            final = clean_row(_plain(run.summary), mapper)
            summary = {k: v for k, v in final.items() if not same_value(last.get(k), v)}
            if summary:
                out.summary(summary)
            _copy_files(run, out.folder / "files", report)
            if run.state in _EXIT:
                out.end(last_ts, _EXIT[run.state])


def _plain(summary: Any) -> dict[str, Any]:
    """A wandb summary (a dict-like of JSON values, media as references) as a dict."""
    raw = getattr(summary, "_json_dict", None)
    return dict(raw if isinstance(raw, dict) else summary)


def _copy_files(run: Any, dst: Path, report: ImportReport) -> None:
    """The run's other files (requirements, saved files, ...), not its media or wandb's own."""
    for f in run.files():
        name = str(f.name)
        if name.split("/")[0] in SKIP_FILES or name.startswith(("media/", "artifact/")):
            continue
        try:
            f.download(root=str(dst), replace=True)
        except Exception as e:
            report.not_mapped(f"wandb files that could not be downloaded ({type(e).__name__})")
