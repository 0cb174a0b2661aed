"""``Html`` (docs/media-refs.md, ``html-file``): an HTML page shown in a sandboxed frame, with a small default
stylesheet.

The stylesheet is inline (a ``<style>`` element), not a link to a CDN, so the page looks the same
with no network. It goes at the start of ``<head>`` when the document has one (so the page's own
styles still win), else before everything. ``inject=False`` stores the HTML byte for byte.

Reference: ``{"_type": "html-file", "path", "sha256", "size"}`` (UTF-8 text).
"""

from __future__ import annotations

import os
import re
from typing import Any

from .base import Media, MediaStore

DEFAULT_STYLE = """<style data-runyard-default>
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
font-size:14px;line-height:1.45;color:#1f2328;background:#fff}
body{margin:8px}
table{border-collapse:collapse}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
th{background:#f6f8fa}
pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
img,video{max-width:100%}
a{color:#0969da}
</style>
"""
_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)


def inject_style(html: str) -> str:
    """``html`` with the default stylesheet at the start of ``<head>``, or prepended."""
    match = _HEAD.search(html)
    if match is None:
        return DEFAULT_STYLE + html
    return html[: match.end()] + DEFAULT_STYLE + html[match.end() :]


class Html(Media):
    """HTML to log: ``Html("<b>hi</b>")``, ``Html(open("page.html"))`` or ``Html(path, inject=False)``.

    A ``str`` is HTML text, except a str naming an existing ``.html``/``.htm`` file, which is read
    (as is a ``pathlib.Path``); ``data_is_not_path=True`` takes every str as HTML text, as wandb's.
    Open files may be text or binary (binary must be UTF-8).
    """

    _type = "html-file"

    def __init__(self, data: Any, inject: bool = True, data_is_not_path: bool = False) -> None:
        if not isinstance(inject, bool):
            raise TypeError(f"Html: inject must be True or False, got {inject!r}")
        self.inject = inject
        if isinstance(data, str):
            is_file = (not data_is_not_path and data.lower().endswith((".html", ".htm")) and "\n" not in data
                       and os.path.isfile(data))
            self.html = _read_path(data) if is_file else data
        elif isinstance(data, os.PathLike):
            self.html = _read_path(os.fspath(data))
        elif hasattr(data, "read"):
            content = data.read()
            self.html = _decode(content, "the file object")
        else:
            t = type(data)
            raise TypeError(
                f"Html: cannot make HTML from {t.__module__}.{t.__qualname__}; pass a str of HTML or an "
                "open file (text or binary)"
            )

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        text = inject_style(self.html) if self.inject else self.html
        return {"_type": "html-file", **store.put_bytes("html", text.encode("utf-8"), "html")}

    def __repr__(self) -> str:
        return f"<runyard.Html {len(self.html)} chars>"


def _read_path(path: str | os.PathLike[str]) -> str:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Html: no such HTML file: {str(path)!r}")
    with open(path, "rb") as f:
        return _decode(f.read(), repr(str(path)))


def _decode(content: Any, what: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, (bytes, bytearray, memoryview)):
        try:
            return bytes(content).decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise ValueError(f"Html: {what} is not UTF-8 text ({e}); decode it and pass a str") from e
    raise TypeError(f"Html: reading {what} gave {type(content).__name__}, not str or bytes")
