"""``runyard ui`` and ``runyard reindex`` as click commands, for ``runyard.cli`` to register.

click, uvicorn, FastAPI and SQLAlchemy are imported when a command runs, not when this module
is imported::

    from runyard.server.cli_commands import reindex_command, ui_command
    cli.add_command(ui_command(), "ui")
    cli.add_command(reindex_command(), "reindex")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _root(directory: str | None) -> Path:
    from ..settings import resolve

    return Path(directory if directory is not None else resolve()["dir"]).expanduser()


def _port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be listened on now (the server binds it a moment later)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def ui_command() -> Any:
    import click

    @click.command("ui", help="Serve the runs under DIR (default: $RUNYARD_DIR or ./runyard) over HTTP: "
                              "the API, and the web UI once it is built.")
    @click.argument("directory", required=False, type=click.Path(file_okay=False))
    @click.option("--port", default=8765, show_default=True, type=int, help="TCP port (0: any free port).")
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="Address to listen on; anything but loopback needs --allow-remote.")
    @click.option("--allow-remote", is_flag=True,
                  help="Allow a non-loopback --host without keys (anyone who reaches it reads your runs).")
    @click.option("--keys", "keys", is_flag=True,
                  help="Every request needs an API key or a signed-in session; users live in the index "
                       "(runyard server admin create-user NAME --db INDEX). A non-loopback --host is then allowed.")
    @click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
                  help="A DNS name browsers may use to reach this server (repeatable); IP addresses and "
                       "localhost always work.")
    @click.option("--index", "index_url", default=None,
                  help="Index database: an SQLite path or a postgresql:// URL "
                       "(default: DIR/.runyard/index.sqlite3).")
    def ui(directory: str | None, port: int, host: str, allow_remote: bool, keys: bool,
           allowed_hosts: tuple[str, ...], index_url: str | None) -> None:
        from .door import check_bind

        try:
            warning = check_bind(host, allow_remote, keys)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        if warning:
            click.echo(warning, err=True)
        root = _root(directory)
        if not root.is_dir():
            raise click.ClickException(
                f"{root} is not a folder of runs. Log a run first (runyard.init(dir=...)), or pass the "
                "folder: runyard ui DIR")
        try:
            import uvicorn

            from . import create_app
            from .app import uvicorn_options
        except ImportError as exc:
            raise click.ClickException(
                f"the server needs the 'server' extra ({exc.name} is missing): pip install 'runyard[server]'"
            ) from None
        if port and not _port_free(host, port):  # say so before printing anything else
            raise click.ClickException(f"port {port} is in use — try --port {port + 1}")
        app = create_app(root, index_url, allowed_hosts=allowed_hosts, keys=keys)
        click.echo(f"runyard: serving {root} on http://{host}:{port}/ (API docs: /docs); Ctrl+C stops")
        uvicorn.run(app, host=host, port=port, **uvicorn_options())

    return ui


def reindex_command() -> Any:
    import click

    @click.command("reindex", help="Rebuild the index of DIR from its run logs alone.")
    @click.argument("directory", required=False, type=click.Path(file_okay=False))
    @click.option("--index", "index_url", default=None,
                  help="Index database (default: DIR/.runyard/index.sqlite3).")
    def reindex(directory: str | None, index_url: str | None) -> None:
        root = _root(directory)
        if not root.is_dir():
            raise click.ClickException(f"{root} is not a folder of runs")
        try:
            from ..store import Store
            from ..store import reindex as rebuild
            from ..store.db import default_store_url
        except ImportError as exc:
            raise click.ClickException(
                f"reindex needs the 'server' extra ({exc.name} is missing): pip install 'runyard[server]'"
            ) from None
        store = Store(index_url if index_url is not None else default_store_url(root))
        try:
            reports = rebuild(root, store)
        finally:
            store.close()
        points = sum(r.points for r in reports)
        flagged = [f"{r.project}/{r.run_id}" for r in reports if r.flags.get("corrupt")]
        click.echo(f"reindexed {len(reports)} runs, {points} points")
        if flagged:
            click.echo(f"damaged logs (indexed up to the damage): {', '.join(flagged)}")

    return reindex
