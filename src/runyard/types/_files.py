"""Reading a user's file (a path or an open file object) into bytes for a file-backed media type.

Shared by ``Molecule`` and ``Object3D``. The bytes are read on the caller's thread, so a file
that is changed or closed right after ``log()`` is still stored as it was.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any


def format_of_name(name: str, formats: Collection[str]) -> str | None:
    """The format a file name's extension names (case-insensitive), longest match first."""
    lower = name.lower()
    for fmt in sorted(formats, key=len, reverse=True):
        if lower.endswith("." + fmt):
            return fmt
    return None


def _stream_name(data: Any) -> str | None:
    name = getattr(data, "name", None)
    return name if isinstance(name, str) else None


def read_source(
    data: Any,
    file_type: str | None,
    formats: Collection[str],
    binary_formats: Collection[str],
    what: str,
) -> tuple[bytes, str]:
    """Return ``(content, format)`` for a path or file object holding one of ``formats``.

    The format is ``file_type`` when given, else the extension of the path or of the file
    object's ``name``. A text-mode file object is fine for text formats (its text is stored as
    UTF-8). A binary format needs bytes: a text-mode file object is accepted only when its
    ``name`` is a file on disk (then that file is read, as the reference does, so
    ``Object3D(open("x.glb"))`` works); otherwise it is a clear error.
    """
    listed = ", ".join(sorted(formats))
    if file_type is not None:
        fmt = file_type.lower().lstrip(".")
        if fmt not in formats:
            raise ValueError(f"{what}: unsupported file_type {file_type!r}; supported formats are {listed}")
    else:
        fmt = ""

    if isinstance(data, (str, os.PathLike)):
        path = Path(os.fspath(data))
        if not fmt:
            fmt = format_of_name(path.name, formats) or ""
            if not fmt:
                raise ValueError(
                    f"{what}: cannot tell the format of {str(path)!r} from its extension; supported "
                    f"formats are {listed} (or pass file_type=)"
                )
        if not path.is_file():
            raise FileNotFoundError(f"{what}: no such file: {str(path)!r}")
        return path.read_bytes(), fmt

    if not hasattr(data, "read"):
        raise TypeError(
            f"{what}: expected a path or an open file, got {type(data).__module__}.{type(data).__qualname__}"
        )
    name = _stream_name(data)
    if not fmt:
        fmt = (format_of_name(name, formats) if name else None) or ""
        if not fmt:
            raise ValueError(
                f"{what}: cannot tell the format of the open file {name or '<no name>'}; pass "
                f"file_type= (one of {listed})"
            )
    if hasattr(data, "seekable") and data.seekable():
        data.seek(0)
    if fmt in binary_formats and _is_text_stream(data):
        if name and os.path.isfile(name):
            return Path(name).read_bytes(), fmt
        raise TypeError(
            f"{what}: {fmt} is a binary format but the file object was opened in text mode; "
            "open it with mode 'rb' (or pass bytes in an io.BytesIO)"
        )
    content = data.read()
    if isinstance(content, str):
        if fmt in binary_formats:  # a text stream we could not detect up front
            raise TypeError(
                f"{what}: {fmt} is a binary format but the file object returned text; open it with mode 'rb'"
            )
        return content.encode("utf-8"), fmt
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content), fmt
    raise TypeError(f"{what}: the file object's read() returned {type(content).__name__}, not bytes or str")


def _is_text_stream(data: Any) -> bool:
    import io

    if isinstance(data, io.TextIOBase):
        return True
    mode = getattr(data, "mode", None)
    return isinstance(mode, str) and "b" not in mode
