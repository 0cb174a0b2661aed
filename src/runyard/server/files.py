"""Serving a run's media files: no path outside the run's ``media/`` and ``files/`` folders,
the right content type, and range requests (audio and video players seek with them)."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from .errors import ApiError

SERVED_DIRS = ("media", "files")

CONTENT_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".svg": "image/svg+xml", ".bmp": "image/bmp",
    ".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac", ".oga": "audio/ogg",
    ".mp4": "video/mp4", ".webm": "video/webm", ".ogg": "video/ogg", ".ogv": "video/ogg",
    ".json": "application/json", ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8",
    ".glb": "model/gltf-binary", ".gltf": "model/gltf+json", ".obj": "model/obj",
    ".pdb": "chemical/x-pdb", ".sdf": "chemical/x-mdl-sdfile", ".mol2": "chemical/x-mol2",
    ".npy": "application/octet-stream", ".npz": "application/octet-stream",
}


def content_type(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".table.json", ".plotly.json"):
        if name.endswith(suffix):
            return "application/json"
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def resolve(run_dir: Path, rel: str) -> Path:
    """The file ``rel`` inside the run folder's media or files folder; 404 for anything else."""
    if "\x00" in rel or rel.startswith(("/", "\\")):
        raise ApiError(404, f"no such file: {_short(rel)}")
    base = run_dir.resolve()
    try:
        target = (base / rel).resolve()
        allowed = [base / d for d in SERVED_DIRS]
        found = any(target.is_relative_to(d) for d in allowed) and target.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a symlink loop, ...
        found = False
    if not found:
        raise ApiError(404, f"no such file in this run's media or files: {_short(rel)}")
    return target


def _short(rel: str) -> str:
    return repr(rel) if len(rel) <= 200 else repr(rel[:200]) + f" ... ({len(rel)} characters)"


_RANGE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


def check_range(header: str | None, size: int) -> None:
    """Answer a malformed (400) or unsatisfiable (416) Range header in the API's error shape;
    a good one is left to the file response."""
    if not header:
        return
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        raise ApiError(400, f"malformed Range header {header!r}: expected bytes=START-END")
    satisfiable = False
    for part in spec.split(","):
        m = _RANGE.match(part)
        if m is None or (not m.group(1) and not m.group(2)):
            raise ApiError(400, f"malformed Range header {header!r}")
        start, end = m.group(1), m.group(2)
        if start and end and int(start) > int(end):
            raise ApiError(400, f"malformed Range header {header!r}: a range ends before it starts")
        if (start and int(start) < size) or (not start and int(end) > 0 and size > 0):
            satisfiable = True
    if not satisfiable:
        raise ApiError(416, f"range {spec.strip()} is outside the file ({size} bytes)",
                       {"Content-Range": f"bytes */{size}"})
