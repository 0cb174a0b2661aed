"""``runyard sync [DIR...]`` and ``runyard login``: send local runs to a team server.

Sync sends each run's log past what the server holds, with its media and files, through the
same ``Sender`` online mode uses; the server applies every batch exactly once, so running sync
twice, or on a run that was also streamed, duplicates nothing. A run whose writing process is
still alive is left to that process's own sender. Then the artifact versions each log logged are
sent (``artifacts/remote.py``), once.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RunyardWarning
from ..log.framing import scan
from ..log.reader import LOG_NAME, RunFolder
from ..log.state import RUNNING
from .sender import Refused, Retry, Sender, check_key


@dataclass
class Plan:
    folder: Path
    project: str
    run_id: str
    entity: str | None
    size: int  # bytes of the log's valid prefix
    acked: int  # bytes the server acknowledged, as this machine last heard
    running: bool

    @property
    def unsent(self) -> int:
        return max(0, self.size - self.acked)


def run_folders(paths: list[Path]) -> list[Path]:
    """The run folders under each path (a run folder, a project folder or a root of runs)."""
    out: list[Path] = []
    for p in paths:
        if (p / LOG_NAME).is_file():
            out.append(p)
            continue
        if not p.is_dir():
            continue
        for sub in sorted(p.iterdir()):
            if sub.name.startswith("."):
                continue
            if (sub / LOG_NAME).is_file():
                out.append(sub)
            elif sub.is_dir():
                out.extend(r for r in sorted(sub.iterdir()) if (r / LOG_NAME).is_file())
    unique: dict[Path, Path] = {}
    for f in out:
        unique.setdefault(f.resolve(), f)
    return list(unique.values())


def plan(folder: Path, base_url: str, api_key: str) -> Plan:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunyardWarning)
        state, _ = RunFolder(folder).load_state()
    sender = Sender(folder, base_url, api_key, state.project or folder.parent.name, state.id or folder.name)
    return Plan(folder, sender.project, sender.run_id, state.entity if state.entity not in ("", "local") else None,
                scan(folder / LOG_NAME).valid_end, sender.acked, state.state == RUNNING)


def _versions_unsent(p: Plan, record: bool = True) -> bool:
    from ..artifacts.remote import unsent_versions

    return unsent_versions(p.folder, record) > 0


def _send_artifacts(sender: Sender, p: Plan) -> tuple[bool, int, list[str]]:
    """Send the artifact versions a run logged (docs/artifacts.md, "On a team server"): whether
    it went through, how many were sent, and what could not be sent (files gone locally)."""
    from ..artifacts.context import context
    from ..artifacts.remote import logged_versions, send_logged
    from ..settings import resolve

    if not logged_versions(p.folder):
        return True, 0, []
    root = next((a for a in p.folder.parents if (a / ".artifacts").is_dir() or (a / ".blobs").is_dir()), None)
    if root is None:
        return True, 0, [f"its artifacts' blob store (.blobs beside the runs) was not found above {p.folder}"]
    try:
        n, problems = send_logged(sender.client, context(root, resolve({"dir": str(root)})["blobs"] or None).blobs,
                                  p.folder, p.entity)
    except (Refused, Retry) as exc:
        sender.last_error = f"artifacts: {exc}"
        return False, 0, []
    finally:
        sender.client.close()
    return True, n, problems


def _n(count: int, noun: str) -> str:
    """``1 run``, ``2 runs``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


class SyncError(Exception):
    """Nothing could be sent (no server or key, a refused key, an unreachable server); says what to do."""


def server_for(host: str | None) -> tuple[str, str, dict[str, Any]]:
    """The server URL and key to send to (``host``, else the configured one), and the resolved settings."""
    from .. import settings as settings_mod
    from .online import server_and_key

    resolved = settings_mod.resolve({"base_url": host} if host else {})
    url, key = server_and_key(resolved)
    if url is None or key is None:
        raise SyncError("no server or no key: run `runyard login --host URL` first (or set "
                        "RUNYARD_BASE_URL and RUNYARD_API_KEY)")
    return url, key, resolved


def check_server(url: str, key: str) -> None:
    """``SyncError`` unless the server answers and takes the key."""
    try:
        check_key(url, key)
    except Refused as exc:
        raise SyncError(f"{exc}; store a valid key with: runyard login --host {url}") from None
    except Retry as exc:
        raise SyncError(f"{exc}; nothing was sent, try again later") from None


@dataclass
class Sent:
    """What ``send`` did."""

    done: list[tuple[Plan, str | None]]
    failed: list[tuple[Plan, str | None]]
    sent_bytes: int = 0
    files: int = 0
    artifacts: int = 0  # artifact versions sent (docs/artifacts.md, "On a team server")
    problems: list[str] = field(default_factory=list)


def send(todo: list[Plan], url: str, key: str, progress: Any = None) -> Sent:
    """Send each planned run's log past what the server holds, with its files (idempotent)."""
    out = Sent([], [])
    for p in todo:
        sender = Sender(p.folder, url, key, p.project, p.run_id, p.entity, say=lambda m: None)
        try:
            ok = sender.send_all(progress=progress)
        except Refused as exc:
            ok, sender.last_error = False, str(exc)
        if ok:  # then the versions its log logged: their files, and a number from the server
            ok, arts, problems = _send_artifacts(sender, p)
            out.artifacts += arts
            out.problems += [f"{p.project}/{p.run_id}: {problem}" for problem in problems]
        out.sent_bytes += sender.sent_bytes
        out.files += sender.files_sent
        (out.done if ok else out.failed).append((p, sender.last_error))
    return out


def sync_command() -> Any:
    import click

    @click.command("sync", help="Send local runs under DIR... (runs, projects or roots; default: $RUNYARD_DIR or "
                                "./runyard) to a team server: offline runs, and what online runs could not "
                                "send. Safe to repeat: the server keeps every record once.")
    @click.argument("dirs", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
    @click.option("--host", default=None, help="The server (default: $RUNYARD_BASE_URL, else the last "
                                               "`runyard login --host`).")
    @click.option("--include-synced", is_flag=True, help="Also go over runs this machine already sent in full.")
    @click.option("--dry-run", is_flag=True, help="Only list what would be sent.")
    def sync(dirs: tuple[Path, ...], host: str | None, include_synced: bool, dry_run: bool) -> None:
        try:
            url, key, resolved = server_for(host)
        except SyncError as exc:
            raise click.ClickException(str(exc)) from None
        roots = list(dirs) or [Path(resolved["dir"]).expanduser()]
        folders = run_folders(roots)
        if not folders:
            raise click.ClickException(f"no runs under {', '.join(map(str, roots))}")
        plans = [plan(f, url, key) for f in folders]
        todo = [p for p in plans
                if not p.running and (include_synced or p.unsent > 0 or _versions_unsent(p, not dry_run))]
        running = [p for p in plans if p.running]
        if dry_run:
            for p in plans:
                what = ("running: its own process sends it" if p.running else
                        f"would send {_mb(p.unsent)} of {_mb(p.size)}" if p.unsent else
                        "would check (already sent in full)" if p in todo else "already sent in full")
                click.echo(f"{p.project}/{p.run_id}  {what}  ({p.folder})")
            click.echo(f"{len(todo)} of {_n(len(plans), 'run')} would be synced with {url} (dry run: nothing sent)")
            return
        try:
            check_server(url, key)
        except SyncError as exc:
            raise click.ClickException(str(exc)) from None
        with click.progressbar(length=max(1, sum(p.unsent for p in todo)), label=f"syncing {_n(len(todo), 'run')}",
                               file=None) as bar:
            sent = send(todo, url, key, progress=bar.update)
        click.echo(f"synced {_n(len(sent.done), 'run')} to {url}: {_mb(sent.sent_bytes)} of log sent, "
                   f"{_n(sent.files, 'file')} checked or uploaded, {_n(sent.artifacts, 'artifact version')} sent; "
                   f"{len(plans) - len(todo) - len(running)} already in full"
                   + (f"; {len(running)} still running (sent by their own process)" if running else ""))
        for problem in sent.problems:
            click.echo(problem, err=True)
        for p, err in sent.failed:
            click.echo(f"not synced: {p.project}/{p.run_id} ({p.folder}): {err}", err=True)
        if sent.failed:
            raise SystemExit(1)

    return sync


def login_command() -> Any:
    import click

    @click.command("login", help="Store an API key for a team server (printed by `runyard server admin "
                                 "create-user`); online mode and `runyard sync` use it.")
    @click.argument("key", required=False)
    @click.option("--host", default=None, help="The server URL (default: $RUNYARD_BASE_URL or $WANDB_BASE_URL).")
    @click.option("--no-verify", is_flag=True, help="Store the key without asking the server about it.")
    def login(key: str | None, host: str | None, no_verify: bool) -> None:
        from .. import credentials

        host = host or os.environ.get("RUNYARD_BASE_URL") or os.environ.get("WANDB_BASE_URL")
        if not host:
            raise click.UsageError("name the server: runyard login --host http://server:8080")
        key = key or os.environ.get("RUNYARD_API_KEY") or click.prompt("API key", hide_input=True)
        assert key is not None
        if not no_verify:
            try:
                user = check_key(host, key.strip())
            except Refused as exc:
                raise click.ClickException(str(exc)) from None
            except (Retry, ValueError) as exc:
                raise click.ClickException(f"{exc} (store it anyway with --no-verify)") from None
            click.echo(f"logged in to {host} as {user}")
        path = credentials.store_key(key.strip(), host)
        click.echo(f"key stored in {path}")

    return login
