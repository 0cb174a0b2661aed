"""``login()``: runyard logs locally without an account, so logging in only keeps the API key a
team server will ask for later (``runyard.credentials``). It never prompts and never fails a
training script."""

from __future__ import annotations

import os
from typing import Any

from .. import credentials
from .report import say


def login(
    anonymous: str | None = None,
    key: str | None = None,
    relogin: bool | None = None,
    host: str | None = None,
    force: bool | None = None,
    timeout: int | None = None,
    verify: bool = False,
    referrer: str | None = None,
    **ignored: Any,
) -> bool:
    """Store ``key`` (or ``$WANDB_API_KEY`` / ``$RUNYARD_API_KEY``) for ``host``; returns True.

    Offline there is nothing to log in to: without a key this does nothing and returns True.
    ``verify=True`` cannot check a key without a server; it says so in one line.
    """
    key = key or os.environ.get("RUNYARD_API_KEY") or os.environ.get("WANDB_API_KEY")
    host = host or os.environ.get("RUNYARD_BASE_URL") or os.environ.get("WANDB_BASE_URL") or None
    if key:
        try:
            credentials.store_key(key, host)
        except OSError as e:
            say(f"login(): could not store the API key in {credentials.credentials_path()} — {e}; "
                "runs are still logged locally")
    if verify:
        say("login(verify=True): runyard logs locally and has no server to check the key against; "
            "the key was stored unchecked")
    return True
