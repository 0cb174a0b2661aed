"""Run metadata captured at start (docs/semantics.md, "Runs"): what costs nothing to learn; git,
packages and hardware are gathered off the caller's thread by ``capture.py``."""

from __future__ import annotations

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
        "os": platform.platform(),
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
