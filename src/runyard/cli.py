"""The ``runyard`` command (click, imported only when the command runs)."""

from __future__ import annotations

import sys
from typing import Any

import click

from . import __version__
from .format import human_duration, human_number


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="runyard")
def main() -> None:
    """runyard: local-first experiment tracking with a wandb-shaped API.

    Log from Python with `import runyard as wandb`; runs are written to ./runyard (or
    $RUNYARD_DIR) and read back with these commands or runyard.Api().
    """


@main.command("runs")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--project", "-p", help="Only this project.")
@click.option("--limit", "-n", default=50, show_default=True, help="Most runs to show per project.")
def runs_command(directory: str | None, project: str | None, limit: int) -> None:
    """List the runs in DIRECTORY (default: $RUNYARD_DIR or ./runyard) as a table."""
    from .api import Api

    api = Api(root=directory)
    if not api.root.is_dir():
        raise click.ClickException(
            f"{api.root} does not exist. Log a run first (runyard.init(); runyard.log({{...}})), "
            "or pass the folder that holds your runs: runyard runs PATH"
        )
    projects = [project] if project else api.projects()
    if not projects:
        click.echo(f"No runs in {api.root} yet. Log one with runyard.init() and runyard.log().")
        return
    rows: list[list[str]] = []
    for name in projects:
        for run in api.runs(name)[:limit]:
            summary = [f"{k}={_summary_value(v)}" for k, v in run.summary.items()
                       if not k.startswith("_") and _summary_value(v) is not None][:4]
            rows.append([
                run.project, run.id, run.name, run.state, human_number(run.history_rows),
                human_duration(run.runtime), "  ".join(summary),
            ])
    header = ["PROJECT", "ID", "NAME", "STATE", "STEPS", "RUNTIME", "SUMMARY"]
    click.echo(_table(header, rows))


_AGGREGATES = ("min", "max", "mean", "first", "last", "best", "copy")


def _summary_value(v: Any) -> str | None:
    """A number as ``1.48``; a define_metric summary of several aggregates as ``min 1.48 · last 1.79``."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return human_number(v)
    if isinstance(v, dict) and v and all(k in _AGGREGATES for k in v) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values()):
        return " · ".join(f"{k} {human_number(x)}" for k, x in v.items())
    return None


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    return "\n".join(lines)


@main.command("demo")
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="Where to write the demo runs (default: $RUNYARD_DIR or ./runyard).")
@click.option("--runs", "n_runs", default=3, show_default=True, help="How many runs to log.")
@click.option("--steps", default=1000, show_default=True, help="Steps per run.")
@click.option("--port", default=8765, show_default=True, help="Port of the UI.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the UI listens on.")
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve the UI after logging.")
def demo_command(directory: str | None, n_runs: int, steps: int, port: int, host: str, serve: bool) -> None:
    """Log a few example runs with every kind of value, then serve the UI over them."""
    from .demo import run_demo

    with click.progressbar(length=n_runs * steps, label="Logging demo runs") as bar:
        root = run_demo(directory, n_runs, steps, progress=bar.update)
    click.echo(f"Logged {n_runs} runs to {root}.")
    ctx: Any = click.get_current_context()
    ctx.invoke(runs_command, directory=str(root), project="demo", limit=50)
    if not serve:
        click.echo(f"See them with: runyard ui {root}")
        return
    try:
        from .demo import serve as serve_ui
    except ImportError as exc:  # pragma: no cover - the server extra is missing
        raise click.ClickException(f"the UI needs the 'server' extra: pip install 'runyard[server]' ({exc})") from None
    click.echo(f"\nrunyard UI: http://{host}:{port}/  (Ctrl+C stops)")
    sys.stdout.flush()
    serve_ui(root, host, port)


def _register_server_commands() -> None:
    from .server.cli_commands import reindex_command, ui_command

    main.add_command(ui_command(), "ui")
    main.add_command(reindex_command(), "reindex")
    from .sdk.sync import login_command, sync_command
    from .server.team_cli import server_command

    main.add_command(server_command(), "server")
    main.add_command(sync_command(), "sync")
    main.add_command(login_command(), "login")


_register_server_commands()


def _register_compat_commands() -> None:
    from .compat.cli import doctor_command, run_command

    main.add_command(run_command, "run")
    main.add_command(doctor_command, "doctor")


_register_compat_commands()


def _register_artifact_commands() -> None:
    from .artifacts.cli import artifact_group

    main.add_command(artifact_group, "artifact")


_register_artifact_commands()


def _register_import_export_commands() -> None:
    from .importers.commands import export_command, import_group

    main.add_command(import_group, "import")
    main.add_command(export_command, "export")


_register_import_export_commands()


def _register_sweep_commands() -> None:
    from .sdk.sweep_cli import agent_command, sweep_command

    main.add_command(sweep_command, "sweep")
    main.add_command(agent_command, "agent")


_register_sweep_commands()
