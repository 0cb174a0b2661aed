"""Stored API keys, one per server host, in ``$RUNYARD_CONFIG_DIR/credentials.json`` (default
``~/.config/runyard``), readable by the owner only. ``login()`` writes here; a client of a team
server reads its key from here. A JSON file rather than ``~/.netrc``: runyard's keys must not be
mistaken for, or overwrite, another tool's entries.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

DEFAULT_HOST = "local"


def config_dir() -> Path:
    """Where runyard keeps per-user files."""
    env = os.environ.get("RUNYARD_CONFIG_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "runyard"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def _read() -> dict[str, str]:
    try:
        data = json.loads(credentials_path().read_text())
    except (OSError, ValueError):
        return {}
    keys = data.get("keys") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in keys.items()} if isinstance(keys, dict) else {}


def store_key(key: str, host: str | None = None) -> Path:
    """Keep ``key`` for ``host`` (a server URL, or ``local`` when none); returns the file written."""
    if not isinstance(key, str) or not key.strip():
        raise ValueError("an API key must be a non-empty string")
    host = _host(host)
    keys = _read()
    keys[host or DEFAULT_HOST] = key.strip()
    doc: dict[str, object] = {"keys": keys}
    default = host or default_host()
    if default:  # the server online mode and `runyard sync` use when none is named
        doc["default"] = default
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _host(host: str | None) -> str | None:
    """Server URLs are kept without a trailing slash, so ``http://h:1/`` and ``http://h:1`` match."""
    return host.strip().rstrip("/") if host else None


def default_host() -> str | None:
    """The server of the last ``runyard login --host`` / ``login(host=...)``, if any."""
    try:
        data = json.loads(credentials_path().read_text())
    except (OSError, ValueError):
        return None
    host = data.get("default") if isinstance(data, dict) else None
    return str(host) if isinstance(host, str) and host else None


def load_key(host: str | None = None) -> str | None:
    """The key stored for ``host``, else the one stored without a host, else None."""
    keys = _read()
    return keys.get(_host(host) or DEFAULT_HOST) or keys.get(DEFAULT_HOST)


def forget_key(host: str | None = None) -> bool:
    """Remove the key of ``host``; whether there was one."""
    keys = _read()
    if keys.pop(_host(host) or DEFAULT_HOST, None) is None:
        return False
    path = credentials_path()
    path.write_text(json.dumps({"keys": keys}, indent=1))
    os.chmod(path, 0o600)
    return True
