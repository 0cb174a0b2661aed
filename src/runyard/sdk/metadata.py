"""Run metadata captured at start (docs/semantics.md, "Runs"); git details are probed on the writer thread."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from typing import Any

from .. import __version__


def basic_metadata() -> dict[str, Any]:
    return {
        "host": socket.gethostname(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "program": sys.argv[0] if sys.argv else "",
        "args": list(sys.argv[1:]),
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]) if sys.argv else "",
        "cwd": os.getcwd(),
        "pid": os.getpid(),
        "cpu_count": os.cpu_count(),
        "runyard_version": __version__,
    }


def _git(args: list[str], cwd: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=3, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_metadata(cwd: str | None = None) -> dict[str, Any]:
    """Remote, commit and dirty state of the git repository around ``cwd`` (empty if none)."""
    cwd = cwd or os.getcwd()
    commit = _git(["rev-parse", "HEAD"], cwd)
    if commit is None:
        return {}
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    return {
        "git": {
            "commit": commit,
            "remote": _git(["config", "--get", "remote.origin.url"], cwd),
            "branch": _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd),
            "dirty": bool(status) if status is not None else None,
            "root": _git(["rev-parse", "--show-toplevel"], cwd),
        }
    }
