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
            summary = [
                f"{k}={human_number(v)}" for k, v in run.summary.items()
                if not k.startswith("_") and isinstance(v, (int, float)) and not isinstance(v, bool)
            ][:4]
            rows.append([
                run.project, run.id, run.name, run.state, human_number(run.history_rows),
                human_duration(run.runtime), "  ".join(summary),
            ])
    header = ["PROJECT", "ID", "NAME", "STATE", "STEPS", "RUNTIME", "SUMMARY"]
    click.echo(_table(header, rows))


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    return "\n".join(lines)


@main.command("demo")
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="Where to write the demo runs (default: $RUNYARD_DIR or ./runyard).")
@click.option("--runs", "n_runs", default=3, show_default=True, help="How many runs to log.")
@click.option("--steps", default=2000, show_default=True, help="Steps per run.")
def demo_command(directory: str | None, n_runs: int, steps: int) -> None:
    """Log a few example runs, then list them."""
    from .demo import run_demo

    root = run_demo(directory, n_runs, steps)
    click.echo("")
    click.echo(f"Logged {n_runs} runs to {root}. Read them back with runyard.Api(root={str(root)!r}).")
    sys.stdout.flush()
    ctx: Any = click.get_current_context()
    ctx.invoke(runs_command, directory=str(root), project=None, limit=50)
