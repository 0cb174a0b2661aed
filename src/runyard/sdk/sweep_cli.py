"""``runyard sweep CONFIG`` and ``runyard agent SWEEP_ID``: wandb's two sweep commands, on a folder
(docs/sweeps.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


def _read_config(path: Path) -> Any:
    text = path.read_text()
    if path.suffix.lower() == ".json":
        return json.loads(text)
    try:
        import yaml
    except ImportError:
        raise click.ClickException(f"{path} is YAML, which needs PyYAML: pip install 'runyard[wandb]' "
                                   "(or write the sweep's configuration as .json)") from None
    return yaml.safe_load(text)


@click.command("sweep")
@click.argument("config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "-p", help="Project of the sweep's runs (default: the file's 'project', else "
                                      "$RUNYARD_PROJECT).")
@click.option("--dir", "root", type=click.Path(file_okay=False),
              help="Runs folder (default: $RUNYARD_DIR or ./runyard).")
def sweep_command(config_file: Path, project: str | None, root: str | None) -> None:
    """Create a sweep from CONFIG_FILE (wandb's sweep YAML or JSON) and print its id."""
    from .sweep import sweep
    from .sweep_space import SweepConfigError

    try:
        sweep_id = sweep(_read_config(config_file), project=project, dir=root)
    except SweepConfigError as exc:
        raise click.ClickException(f"{config_file}: {exc}") from None
    click.echo(sweep_id)


@click.command("agent")
@click.argument("sweep_id")
@click.option("--count", type=click.IntRange(min=1), help="Most runs this agent starts (default: until the "
                                                          "sweep is done).")
@click.option("--dir", "root", type=click.Path(file_okay=False),
              help="Runs folder (default: $RUNYARD_DIR or ./runyard).")
def agent_command(sweep_id: str, count: int | None, root: str | None) -> None:
    """Run the sweep's program once per parameter set (its 'program' and 'command')."""
    from ..errors import UsageError
    from .sweep import agent

    try:
        agent(sweep_id, count=count, dir=root)
    except UsageError as exc:
        raise click.ClickException(str(exc)) from None
