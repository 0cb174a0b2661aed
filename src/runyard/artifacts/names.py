"""What artifact names, types, aliases and entry paths may hold, and parsing of
``[[entity/]project/]name[:alias_or_version]`` (docs/artifacts.md, "Names")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import RunyardError

_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
_VERSION = re.compile(r"^v(0|[1-9][0-9]*)$")


class ArtifactNotFoundError(RunyardError, LookupError):
    """No artifact, version or alias of that name."""


def check_name(what: str, value: object) -> str:
    """An artifact name, type, project or alias: 1-128 letters, digits, ``_``, ``-``, ``.``."""
    if not isinstance(value, str) or not _NAME.match(value) or value in (".", ".."):
        raise ValueError(
            f"artifact {what} {value!r} is not valid: use 1-128 letters, digits, '_', '-' or '.'"
        )
    return value


def check_alias(alias: object) -> str:
    check_name("alias", alias)
    assert isinstance(alias, str)
    if _VERSION.match(alias):
        raise ValueError(f"alias {alias!r} looks like a version; versions (v0, v1, ...) are given by runyard")
    return alias


def version_number(text: str) -> int | None:
    """3 for ``"v3"``; None for anything else."""
    m = _VERSION.match(text)
    return int(m.group(1)) if m else None


def check_entry_path(path: object) -> str:
    """A file's path inside an artifact: relative, ``/``-separated, no ``..``, no empty parts."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"artifact file name must be a non-empty string, got {path!r}")
    norm = path.replace("\\", "/")
    parts = norm.split("/")
    if norm.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\x00" in norm:
        raise ValueError(
            f"artifact file name {path!r} is not valid: use a relative path with '/' between "
            "parts, without '..', '.', empty parts or NUL characters"
        )
    return norm


@dataclass(frozen=True, slots=True)
class Spec:
    """A parsed ``[[entity/]project/]name[:alias_or_version]``."""

    entity: str | None
    project: str | None
    name: str
    alias: str  # "latest" when none was given

    @property
    def version(self) -> int | None:
        return version_number(self.alias)


def parse_spec(text: str) -> Spec:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expected an artifact like 'name:latest' or 'project/name:v3', got {text!r}")
    body, _, alias = text.strip().partition(":")
    parts = body.split("/")
    if len(parts) > 3:
        raise ValueError(f"expected [[entity/]project/]name[:alias], got {text!r}")
    name = check_name("name", parts[-1])
    project = check_name("project", parts[-2]) if len(parts) >= 2 else None
    entity = check_name("entity", parts[-3]) if len(parts) == 3 else None
    alias = alias or "latest"
    if version_number(alias) is None:
        check_name("alias", alias)
    return Spec(entity, project, name, alias)
