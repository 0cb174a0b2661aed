"""Chart presets (docs/media-refs.md, "Preset specs"): Vega-Lite specs with field placeholders.

A preset is a Vega-Lite spec whose encodings name table columns through placeholders:
``"${field:x}"`` stands for the column mapped to the chart field ``x`` and ``"${string:title}"``
for a string (title, axis name). Its data is the named dataset ``"table"``: the logged table's
rows as objects. ``usermeta.runyard`` lists the preset's required ``fields``, its
``optional_fields`` (an encoding whose optional field is not mapped is left out) and its
``string_fields``. ``fill_spec`` turns a preset into a plain Vega-Lite spec.

Built-in presets ship as ``runyard/plot/presets/<name>.json`` and are named ``runyard/<name>``;
the reference's names (``wandb/line/v0``, ``wandb/area-under-curve/v0``, ...) are aliases.
A user's presets are saved as JSON under ``<runs root>/.presets/<name>.json``, where a name is
one or more ``/``-separated segments (``carey/new_chart``).
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from ..types.base import atomic_write

BUILTIN = (
    "runyard/line",
    "runyard/scatter",
    "runyard/bar",
    "runyard/histogram",
    "runyard/line_series",
    "runyard/pr_curve",
    "runyard/roc_curve",
    "runyard/confusion_matrix",
)
ALIASES = {
    "wandb/line/v0": "runyard/line",
    "wandb/scatter/v0": "runyard/scatter",
    "wandb/bar/v0": "runyard/bar",
    "wandb/histogram/v0": "runyard/histogram",
    "wandb/lineseries/v0": "runyard/line_series",
    "wandb/area-under-curve/v0": "runyard/pr_curve",
    "wandb/confusion_matrix/v0": "runyard/confusion_matrix",
    "wandb/confusion_matrix/v1": "runyard/confusion_matrix",
}
# Chart fields an alias calls by another name than our preset does.
ALIAS_FIELD_RENAMES = {"wandb/confusion_matrix/v0": {"nPredicted": "nPredictions"}}

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_PLACEHOLDER = re.compile(r"\$\{(field|string):([^}]+)\}")


def resolve_name(name: str) -> str:
    """The built-in preset an alias stands for; any other name unchanged."""
    return ALIASES.get(name, name)


def is_builtin(name: str) -> bool:
    return resolve_name(name) in BUILTIN


def builtin_spec(name: str) -> dict[str, Any]:
    """The Vega-Lite spec of a built-in preset (or alias)."""
    resolved = resolve_name(name)
    if resolved not in BUILTIN:
        raise KeyError(f"no built-in chart preset {name!r}; the built-in presets are {list(BUILTIN)}")
    filename = resolved.split("/", 1)[1] + ".json"
    text = resources.files("runyard.plot").joinpath("presets").joinpath(filename).read_text(encoding="utf-8")
    spec: dict[str, Any] = json.loads(text)
    return spec


def preset_fields(spec: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """``(fields, optional_fields, string_fields)`` declared by a preset (from its placeholders
    when it has no ``usermeta.runyard``)."""
    meta = (spec.get("usermeta") or {}).get("runyard")
    if isinstance(meta, dict):
        return (list(meta.get("fields", [])), list(meta.get("optional_fields", [])),
                list(meta.get("string_fields", [])))
    found = _PLACEHOLDER.findall(json.dumps(spec))
    fields = sorted({n for kind, n in found if kind == "field"})
    strings = sorted({n for kind, n in found if kind == "string"})
    return fields, [], strings


def _escape_field(column: str) -> str:
    # Vega-Lite reads "a.b" and "a[0]" as nested access; a column name is taken literally.
    return column.replace("\\", "\\\\").replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")


def fill_spec(
    spec: dict[str, Any], fields: dict[str, str], string_fields: dict[str, str] | None = None
) -> Any:
    """A plain Vega-Lite spec: placeholders replaced by column names and strings.

    An object whose ``"field"`` is an unmapped ``${field:...}`` is dropped from its parent (so an
    optional encoding channel disappears); an unmapped ``${string:...}`` becomes ``""``.
    """
    strings = string_fields or {}
    whole = re.compile(r"^\$\{field:([^}]+)\}$")

    def unmapped(node: Any) -> bool:
        if isinstance(node, dict) and isinstance(node.get("field"), str):
            m = whole.match(node["field"])
            return m is not None and m.group(1) not in fields
        return False

    def sub_text(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            kind, name = m.group(1), m.group(2)
            if kind == "field":
                return _escape_field(fields[name]) if name in fields else ""
            return str(strings.get(name, ""))

        return _PLACEHOLDER.sub(one, text)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items() if not unmapped(v)}
        if isinstance(node, list):
            return [walk(v) for v in node if not unmapped(v)]
        if isinstance(node, str):
            return sub_text(node)
        return node

    return walk(spec)


# -- user presets -----------------------------------------------------------------------------------


def _runs_root(root: str | os.PathLike[str] | None) -> Path:
    if root is not None:
        return Path(root)
    from ..settings import resolve

    return Path(resolve()["dir"])


def _user_path(name: str, root: str | os.PathLike[str] | None) -> Path:
    if not isinstance(name, str) or not name:
        raise ValueError(f"chart preset name must be a non-empty string, got {name!r}")
    segments = name.split("/")
    if not all(_SEGMENT.match(s) and s not in (".", "..") for s in segments):
        raise ValueError(
            f"chart preset name {name!r} is not valid: use letters, digits, '_', '-', '.' in "
            "'/'-separated parts, e.g. 'carey/new_chart'"
        )
    return _runs_root(root).joinpath(".presets", *segments[:-1], segments[-1] + ".json")


def save_preset(name: str, spec: dict[str, Any], root: str | os.PathLike[str] | None = None) -> Path:
    """Save a user preset (a Vega or Vega-Lite spec with placeholders) under ``<root>/.presets/``.

    ``root`` is the runs folder (default: the ``dir`` setting, ``./runyard`` or ``$RUNYARD_DIR``).
    Built-in names, their aliases and the ``runyard/``/``wandb/`` namespaces are reserved.
    """
    if is_builtin(name) or name.startswith(("runyard/", "wandb/")):
        raise ValueError(f"chart preset name {name!r} is reserved for built-in presets; choose another name")
    if not isinstance(spec, dict):
        raise TypeError(
            f"a chart preset spec must be a dict (a Vega/Vega-Lite spec), got {type(spec).__name__}"
        )
    try:
        text = json.dumps(spec, indent=2, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"chart preset {name!r}: the spec is not JSON-serialisable ({e})") from e
    path = _user_path(name, root)
    atomic_write(path, text.encode("utf-8"))
    return path


def load_preset(name: str, root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """A preset's spec: a built-in (or alias) from the package, else a user preset from ``root``."""
    if is_builtin(name):
        return builtin_spec(name)
    path = _user_path(name, root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyError(
            f"no chart preset {name!r}: not built in ({', '.join(BUILTIN)}) and not saved under "
            f"{path.parent.parent if '/' in name else path.parent}"
        ) from None
    spec: dict[str, Any] = json.loads(text)
    return spec


def list_presets(root: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of the built-in presets followed by the user presets saved under ``root``."""
    names = list(BUILTIN)
    base = _runs_root(root) / ".presets"
    if base.is_dir():
        names += sorted(p.relative_to(base).with_suffix("").as_posix() for p in base.rglob("*.json"))
    return names
