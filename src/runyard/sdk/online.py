"""Online mode at ``init``: find the server and its key, check the key (and the entity) once,
start the sender.

The server is ``base_url`` (``RUNYARD_BASE_URL``, else ``WANDB_BASE_URL``, else the host of the
last ``runyard login``); the key is ``api_key`` (``RUNYARD_API_KEY``, else ``WANDB_API_KEY``, else
the key stored for that host). Whatever goes wrong here, the run itself goes on: it is written
locally as always, and ``runyard sync`` sends it later. A key the server refuses is said once,
clearly, at ``init``; a server that cannot be reached yet is retried by the sender.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .sender import Refused, Retry, Sender, normalize_url, stored_key, whoami


def credentials() -> Any:
    """``runyard.credentials`` (the keys ``runyard login`` stores), or None in an installation
    without it."""
    try:
        return importlib.import_module("runyard.credentials")
    except ImportError:  # pragma: no cover
        return None


def server_and_key(resolved: dict[str, Any]) -> tuple[str | None, str | None]:
    url = resolved.get("base_url") or os.environ.get("WANDB_BASE_URL") or ""
    if not url:
        creds = credentials()
        url = (creds.default_host() if hasattr(creds, "default_host") else None) or ""
    if not url:
        return None, None
    url = normalize_url(url)
    key = resolved.get("api_key") or os.environ.get("WANDB_API_KEY") or stored_key(url)
    return url, key or None


def start_sender(folder: Path, durable: Callable[[], int], resolved: dict[str, Any], project: str,
                 run_id: str, entity: str | None, say: Callable[[str], None]) -> Sender | None:
    """The started sender of an online run, or None (said why) when the run goes on offline."""
    url, key = server_and_key(resolved)
    if url is None:
        say("online mode needs a server: set RUNYARD_BASE_URL (or WANDB_BASE_URL), or run "
            "`runyard login --host URL`; this run is written offline — send it later with: "
            f"runyard sync {folder}")
        return None
    if key is None:
        say(f"online mode needs an API key for {url}: run `runyard login --host {url}` (or set "
            f"RUNYARD_API_KEY); this run is written offline — send it later with: runyard sync {folder}")
        return None
    who: dict[str, Any] = {}
    try:
        who = whoami(url, key)
    except Refused as exc:
        say(f"{exc}; this run is written offline — after `runyard login --host {url}` send it with: "
            f"runyard sync {folder}")
        return None
    except Retry:
        pass  # not reachable now: the sender keeps trying while the run logs locally
    except ValueError as exc:
        say(f"{exc}; this run is written offline")
        return None
    chosen = entity if entity not in (None, "local") else None
    writable = who.get("entities")
    if chosen and isinstance(writable, list) and chosen not in writable:
        say(f"your key for {url} cannot write to entity {chosen!r} (it can write to {', '.join(map(str, writable))}); "
            f"this run is written offline — once the key may write there (runyard server admin add-member "
            f"{chosen} {who.get('user')}), send it with: runyard sync {folder}")
        return None
    sender = Sender(folder, url, key, project, run_id, chosen, durable, say)
    # the server files the run under the chosen entity, else the user's own (known when the server answered)
    sender.owner = chosen or (str(who["user"]) if who.get("user") else None)
    sender.start()
    if sender.owner:
        say(f"streaming run {run_id} to {sender.run_url()}")
    return sender
