"""Where a root folder's artifacts live: its registry, its blob store and its hash cache.

One ``Context`` per root and blob store in a process, made on first use and shared by every run
and ``Api`` of that root (the blob store is the one owner of its files).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from .. import settings as settings_mod
from ..store.blobs import BlobStore, open_blob_store
from .hashcache import HashCache
from .registry import Registry


@dataclass
class Context:
    root: Path
    registry: Registry
    blobs: BlobStore
    hashes: HashCache

    @property
    def cache_dir(self) -> Path:
        return self.root / ".artifacts"


_lock = threading.Lock()
_contexts: dict[tuple[str, str], Context] = {}


def context(root: str | os.PathLike[str] | None = None, blobs: str | None = None) -> Context:
    """The context of ``root`` (default: the ``dir`` setting) and blob store ``blobs`` (default:
    the ``blobs`` setting, else ``<root>/.blobs``)."""
    resolved = settings_mod.resolve({"dir": os.fspath(root)} if root is not None else None)
    base = Path(resolved["dir"]).expanduser().resolve()
    url = blobs or resolved["blobs"] or str(base / ".blobs")
    key = (str(base), url)
    with _lock:
        ctx = _contexts.get(key)
        if ctx is None:
            base.mkdir(parents=True, exist_ok=True)
            ctx = Context(base, Registry(base), open_blob_store(url), HashCache(base / ".artifacts" / "hashes.sqlite"))
            _contexts[key] = ctx
        return ctx


def reset_contexts() -> None:
    """Close every context (tests; after a fork the child makes its own)."""
    with _lock:
        for ctx in _contexts.values():
            ctx.hashes.close()
            ctx.blobs.close()
        _contexts.clear()


def _forget_in_child() -> None:
    # A forked child must not share the parent's SQLite connection or S3 client: it makes its own
    # on first use (the parent's stay open and owned by the parent).
    _contexts.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
