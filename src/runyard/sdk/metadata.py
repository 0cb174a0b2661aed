"""Run metadata captured at start (docs/semantics.md, "Runs"): what costs nothing to learn; git,
packages and hardware are gathered off the caller's thread by ``capture.py``."""

from __future__ import annotations

import getpass
import os
import platform
import socket
import sys
from typing import Any

from .. import __version__
from .capture import redact_args


def basic_metadata() -> dict[str, Any]:
    args = redact_args(list(sys.argv[1:]))  # never a --api-key=... value
    return {
        "host": socket.gethostname(),
        "username": _login(),
        "os": _os_name(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "program": sys.argv[0] if sys.argv else "",
        "args": args,
        "command": " ".join([os.path.basename(sys.executable), *sys.argv[:1], *args]) if sys.argv else "",
        "cwd": os.getcwd(),
        "pid": os.getpid(),
        "cpu_count": os.cpu_count(),
        "runyard_version": __version__,
    }


def _login() -> str:
    """The OS login name, as wandb's metadata records it; empty where the process has none (a
    container's uid without a passwd entry, where ``getpass`` raises)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return ""


def _os_name() -> str:
    """``platform.platform()`` without the processor name, which it asks a ``uname -p`` subprocess
    for (~30 ms in ``init()``); e.g. ``Linux-6.1.0-x86_64``."""
    u = os.uname() if hasattr(os, "uname") else None
    if u is None:
        return f"{platform.system()}-{platform.release()}-{platform.machine()}"
    return f"{u.sysname}-{u.release}-{u.machine}"
