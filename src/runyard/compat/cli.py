"""``runyard run -- CMD`` and ``runyard doctor`` (registered on the ``runyard`` command)."""

from __future__ import annotations

import os
import subprocess
import sys

import click

from . import ENV_VAR


@click.command("run", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--check", is_flag=True, help="Only say which integrations will log to runyard, then exit.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def run_command(check: bool, command: tuple[str, ...]) -> None:
    """Run COMMAND with `import wandb` resolved to runyard (sets RUNYARD_AS_WANDB=1 for it and
    its child processes). Example: runyard run -- python train.py --epochs 3"""
    if check:
        _print_doctor(alias_on=True)
        return
    if not command:
        raise click.UsageError("give the command to run, e.g. runyard run -- python train.py")
    env = {**os.environ, ENV_VAR: "1"}
    try:
        done = subprocess.run(list(command), env=env, check=False)
    except FileNotFoundError:
        raise click.ClickException(f"command not found: {command[0]}") from None
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(done.returncode)


@click.command("doctor")
def doctor_command() -> None:
    """Say which wandb integrations are installed and whether they will log to runyard."""
    _print_doctor(alias_on=False)


def _print_doctor(alias_on: bool) -> None:
    from .doctor import report

    if alias_on:
        os.environ[ENV_VAR] = "1"
    lines, _ = report()
    for line in lines:
        click.echo(line)
