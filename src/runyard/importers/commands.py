"""``runyard import wandb|tensorboard|mlflow`` and ``runyard export`` (click commands)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from ..errors import RunyardError
from .report import ImportReport


class _Progress:
    """A one-line counter of runs and points on stderr, redrawn at most 10 times a second."""

    def __init__(self, report: ImportReport, what: str) -> None:
        self.report, self.what = report, what
        self.points = 0
        self._last = 0.0
        self._tty = sys.stderr.isatty()

    def __call__(self, points: int) -> None:
        self.points += points
        now = time.monotonic()
        if now - self._last >= 0.1:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        line = f"{self.what}: {self.report.runs + 1} run(s), {self.points:,} values"
        if self._tty:
            click.echo("\r" + line, err=True, nl=False)

    def close(self) -> None:
        if self._tty and self.points:
            self._draw()
            click.echo("", err=True)


def _root(directory: str | None) -> Path:
    return Path(directory or os.environ.get("RUNYARD_DIR") or "runyard")


def _finish(report: ImportReport, root: Path) -> None:
    for line in report.lines():
        click.echo(line)
    if report.runs:
        click.echo(f"See them with: runyard ui {root}")


def _run(what: str, fn: Any, directory: str | None, **kwargs: Any) -> None:
    root = _root(directory)
    report = ImportReport()
    progress = _Progress(report, what)
    try:
        fn(root=root, report=report, progress=progress, **kwargs)
    except (ImportError, FileNotFoundError, ValueError) as e:
        progress.close()
        raise click.ClickException(str(e)) from None
    progress.close()
    _finish(report, root)


_dir_option = click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
                           help="The runyard folder to import into (default: $RUNYARD_DIR or ./runyard).")
_project_option = click.option("--project", "-p", default=None, help="Project to put the runs in.")
_force_option = click.option("--force", is_flag=True, help="Import runs again that were imported before.")


@click.group("import")
def import_group() -> None:
    """Import runs from wandb, TensorBoard or MLflow (with their media; idempotent)."""


@import_group.command("wandb")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@_dir_option
@_project_option
@_force_option
def import_wandb(paths: tuple[str, ...], directory: str | None, project: str | None, force: bool) -> None:
    """Import wandb run folders (wandb/offline-run-*, wandb/run-*, or a folder holding them)."""
    from .wandb import import_runs

    _run("importing wandb runs", import_runs, directory, paths=list(paths), project=project, force=force)


@import_group.command("tensorboard")
@click.argument("logdir", type=click.Path(exists=True, file_okay=False))
@_dir_option
@_project_option
@_force_option
def import_tensorboard(logdir: str, directory: str | None, project: str | None, force: bool) -> None:
    """Import every run (folder of event files) under a TensorBoard LOGDIR."""
    from .tensorboard import import_logdir

    _run("importing TensorBoard runs", import_logdir, directory, logdir=logdir, project=project, force=force)


@import_group.command("mlflow")
@click.argument("tracking_uri")
@click.option("--experiment", "-e", "experiments", multiple=True, help="Only this experiment (repeatable).")
@_dir_option
@_project_option
@_force_option
def import_mlflow(tracking_uri: str, experiments: tuple[str, ...], directory: str | None, project: str | None,
                  force: bool) -> None:
    """Import the runs of an MLflow tracking store (for example sqlite:///mlflow.db or ./mlruns)."""
    from .mlflow import import_tracking

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    _run("importing MLflow runs", import_tracking, directory, tracking_uri=tracking_uri, project=project,
         experiments=list(experiments) or None, force=force)


@click.command("export")
@click.argument("target")
@click.option("--format", "-f", "fmt", type=click.Choice(["parquet", "csv", "jsonl"]), default="parquet",
              show_default=True, help="File format of the history and runs tables.")
@click.option("--out", "-o", default="runyard-export", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write into.")
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="The runyard folder to read (default: $RUNYARD_DIR or ./runyard).")
def export_command(target: str, fmt: str, out: str, directory: str | None) -> None:
    """Export TARGET (a PROJECT or PROJECT/RUN_ID): full history, config and summary."""
    from ..api import Api
    from .export import export_runs

    api = Api(root=directory)
    project, _, run_id = target.partition("/")
    try:
        runs = [api.run(target)] if run_id else list(api.runs(project))
    except (RunyardError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    if not runs:
        raise click.ClickException(f"project {project!r} has no runs in {api.root}")
    with click.progressbar(length=len(runs), label=f"exporting {len(runs)} run(s)", file=sys.stderr) as bar:
        counts = export_runs(runs, out, fmt, progress=bar.update)
    click.echo(f"exported {counts['runs']} run(s), {counts['rows']:,} history rows to {out}/ ({fmt})")
