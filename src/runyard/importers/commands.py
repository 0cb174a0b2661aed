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


def _send(report: ImportReport, to: str) -> None:
    """Send the runs of this import to the team server ``to`` (what ``runyard sync`` does for them)."""
    from ..sdk.sync import SyncError, check_server, plan, send, server_for

    try:
        url, key, _ = server_for(to)
        check_server(url, key)
    except SyncError as exc:
        raise click.ClickException(f"{exc}; the runs were imported into the local folder: send them later "
                                   "with `runyard sync`") from None
    plans = [plan(folder, url, key) for folder in report.folders]
    with click.progressbar(length=max(1, sum(p.unsent for p in plans)), label=f"sending {len(plans)} run(s)",
                           file=sys.stderr) as bar:
        sent = send(plans, url, key, progress=bar.update)
    click.echo(f"sent {len(sent.done)} run(s) to {url}: {sent.sent_bytes / 1e6:.1f} MB of log, {sent.files} "
               "files checked or uploaded (runs the server held already were not sent again)")
    for p, err in sent.failed:
        click.echo(f"not sent: {p.project}/{p.run_id}: {err} (retry with: runyard sync {p.folder})", err=True)
    if sent.failed:
        raise SystemExit(1)


def _run(what: str, fn: Any, directory: str | None, to: str | None = None, **kwargs: Any) -> None:
    root = _root(directory)
    report = ImportReport()
    progress = _Progress(report, what)
    try:
        fn(root=root, report=report, progress=progress, **kwargs)
    except (ImportError, FileNotFoundError, ValueError) as e:
        progress.close()
        raise click.ClickException(str(e)) from None
    progress.close()
    for line in report.lines():
        click.echo(line)
    if to is not None:
        _send(report, to)
    elif report.runs:
        click.echo(f"See them with: runyard ui {root}")


_dir_option = click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
                           help="The runyard folder to import into (default: $RUNYARD_DIR or ./runyard); with "
                                "--to, the local copy that records what was sent.")
_project_option = click.option("--project", "-p", default=None, help="Project to put the runs in.")
_force_option = click.option("--force", is_flag=True, help="Import runs again that were imported before.")
_to_option = click.option("--to", "to", default=None, metavar="URL",
                          help="Also send the imported runs to this team server (the key of `runyard login`, "
                               "or $RUNYARD_API_KEY); idempotent, as `runyard sync`.")


@click.group("import")
def import_group() -> None:
    """Import runs from wandb, TensorBoard or MLflow (with their media; idempotent)."""


@import_group.command("wandb")
@click.argument("paths", nargs=-1, required=True)
@click.option("--from-server", is_flag=True,
              help="PATHS are ENTITY/PROJECT or ENTITY/PROJECT/RUN_ID on a W&B server, read with wandb.Api() "
                   "(key: WANDB_API_KEY or `wandb login`).")
@click.option("--base-url", default=None, metavar="URL",
              help="With --from-server: the W&B server (default: $WANDB_BASE_URL, else wandb's cloud).")
@_dir_option
@_project_option
@_force_option
@_to_option
def import_wandb(paths: tuple[str, ...], from_server: bool, base_url: str | None, directory: str | None,
                 project: str | None, force: bool, to: str | None) -> None:
    """Import wandb run folders (wandb/offline-run-*, wandb/run-*, or a folder holding them), or with
    --from-server, runs of a W&B server."""
    if from_server:
        from .wandb_server import import_from_server

        _run("importing runs from a W&B server", import_from_server, directory, to, paths=list(paths),
             project=project, force=force, base_url=base_url)
        return
    from .wandb import import_runs

    _run("importing wandb runs", import_runs, directory, to, paths=list(paths), project=project, force=force)


@import_group.command("tensorboard")
@click.argument("logdir", type=click.Path(exists=True, file_okay=False))
@_dir_option
@_project_option
@_force_option
@_to_option
def import_tensorboard(logdir: str, directory: str | None, project: str | None, force: bool, to: str | None) -> None:
    """Import every run (folder of event files) under a TensorBoard LOGDIR."""
    from .tensorboard import import_logdir

    _run("importing TensorBoard runs", import_logdir, directory, to, logdir=logdir, project=project, force=force)


@import_group.command("mlflow")
@click.argument("tracking_uri")
@click.option("--experiment", "-e", "experiments", multiple=True, help="Only this experiment (repeatable).")
@_dir_option
@_project_option
@_force_option
@_to_option
def import_mlflow(tracking_uri: str, experiments: tuple[str, ...], directory: str | None, project: str | None,
                  force: bool, to: str | None) -> None:
    """Import the runs of an MLflow tracking store (for example sqlite:///mlflow.db or ./mlruns)."""
    from .mlflow import import_tracking

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    _run("importing MLflow runs", import_tracking, directory, to, tracking_uri=tracking_uri, project=project,
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
