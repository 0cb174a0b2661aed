"""``runyard artifact ls | get | put | cache cleanup`` (docs/artifacts.md, "Command line")."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from ..format import human_bytes
from .names import ArtifactNotFoundError


@click.group("artifact")
def artifact_group() -> None:
    """List, download, upload and clean up artifacts."""


_DIR = click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
                    help="Root folder of runs (default: $RUNYARD_DIR or ./runyard).")


@contextmanager
def _bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar fed from worker threads; shown for transfers of more than 1 MB."""
    if total <= 1 << 20:
        yield lambda n: None
        return
    lock = threading.Lock()
    bar_cm: Any = click.progressbar(length=total, label=label, show_percent=True)
    with bar_cm as bar:
        def update(n: int) -> None:
            with lock:
                bar.update(n)

        yield update


def _api(directory: str | None) -> Any:
    from ..api import Api

    return Api(root=directory)


@artifact_group.command("ls")
@click.argument("path", required=False)
@click.option("--type", "type_name", default=None, help="Only collections of this type.")
@_DIR
def ls_command(path: str | None, type_name: str | None, directory: str | None) -> None:
    """List collections of PROJECT (or of every project), or the versions of PROJECT/NAME."""
    from ..cli import _table

    api = _api(directory)
    ctx = api._artifact_ctx()
    if path and "/" in path:
        try:
            versions = api.artifact_versions(type_name or "", path)
        except (ArtifactNotFoundError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        rows = [[v.version, ",".join(v.aliases), str(v.file_count), human_bytes(v.size),
                 time.strftime("%Y-%m-%d %H:%M", time.localtime(v.created_at or 0)),
                 (v._doc or {}).get("logged_by") or ""] for v in versions]
        click.echo(_table(["VERSION", "ALIASES", "FILES", "SIZE", "CREATED", "LOGGED BY"], rows))
        return
    projects = [path] if path else ctx.registry.projects()
    rows = []
    for project in projects:
        for name, t in ctx.registry.collections(project, type_name):
            docs = ctx.registry.version_docs(project, name)
            latest = next((d for d in docs if "latest" in d.get("aliases", [])), docs[-1])
            rows.append([project, name, t, str(len(docs)), f"v{latest['version']}", human_bytes(latest["size"])])
    if not rows:
        click.echo(f"No artifacts in {ctx.root} yet. Log one with run.log_artifact().")
        return
    click.echo(_table(["PROJECT", "NAME", "TYPE", "VERSIONS", "LATEST", "SIZE"], rows))


@artifact_group.command("get")
@click.argument("spec")
@click.option("--root", default=None, type=click.Path(file_okay=False),
              help="Where to put the files (default ./artifacts/NAME:VERSION).")
@click.option("--type", "type_name", default=None, help="Refuse an artifact of another type.")
@_DIR
def get_command(spec: str, root: str | None, type_name: str | None, directory: str | None) -> None:
    """Download PROJECT/NAME[:ALIAS] (e.g. mnist/images:v3)."""
    try:
        art = _api(directory).artifact(spec, type=type_name)
    except (ArtifactNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    with _bar(art.size, f"Downloading {art.name}") as progress:
        art._progress = progress
        folder = art.download(root)
    click.echo(f"{art.qualified_name}: {art.file_count} files, {human_bytes(art.size)} in {folder}")


@artifact_group.command("put")
@click.argument("path", type=click.Path(exists=True))
@click.option("--name", "-n", "target", required=True, help="PROJECT/NAME of the artifact.")
@click.option("--type", "-t", "type_name", default="dataset", show_default=True, help="The artifact's type.")
@click.option("--alias", "-a", "aliases", multiple=True, help="An alias (repeatable); 'latest' is always set.")
@click.option("--description", "-d", default=None, help="A description of this version.")
@_DIR
def put_command(path: str, target: str, type_name: str, aliases: tuple[str, ...], description: str | None,
                directory: str | None) -> None:
    """Upload the file or folder PATH as a new version of PROJECT/NAME (logged by a short run)."""
    import runyard

    from .artifact import Artifact

    project, _, name = target.rpartition("/")
    if not project:
        raise click.ClickException(f"--name must be PROJECT/NAME, got {target!r}")
    try:
        art = Artifact(name, type_name, description=description)
        from pathlib import Path

        p = Path(path)
        if p.is_dir():
            art.add_dir(p)
        else:
            art.add_file(p)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    run = runyard.init(project=project, dir=directory, job_type="artifact-put", name=f"put-{name}",
                       settings={"console": "off"})
    try:
        with _bar(art.size, f"Uploading {name}") as progress:
            art._progress = progress
            run.log_artifact(art, aliases=list(aliases))
            art.wait()
    except (ValueError, OSError) as exc:
        run.finish(exit_code=1)
        raise click.ClickException(str(exc)) from None
    run.finish()
    click.echo(f"{art.qualified_name} ({', '.join(art.aliases)}): {art.file_count} files, {human_bytes(art.size)}")


@artifact_group.group("cache")
def cache_group() -> None:
    """The blob store of a root folder."""


@cache_group.command("cleanup")
@click.option("--older-than", default=3600.0, show_default=True,
              help="Only remove unreferenced blobs older than this many seconds (an upload in progress "
                   "has unreferenced blobs until its version is committed).")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@_DIR
def cleanup_command(older_than: float, dry_run: bool, directory: str | None) -> None:
    """Delete versions past their TTL, then remove blobs no version refers to (left by killed
    uploads or deleted versions) and stale temporary files."""
    from .cleanup import cleanup
    from .edits import expire

    ctx = _api(directory)._artifact_ctx()
    expired = expire(ctx, dry_run=dry_run)
    if expired:
        click.echo(f"{'Would delete' if dry_run else 'Deleted'} {len(expired)} version(s) past their TTL: "
                   + ", ".join(expired))
    report = cleanup(ctx, older_than, dry_run)
    verb = "Would remove" if dry_run else "Removed"
    click.echo(f"{verb} {report.blobs} unreferenced blob(s), {human_bytes(report.bytes)}, "
               f"and {report.temp_files} temporary file(s); {report.kept} blob(s) are in use.")
