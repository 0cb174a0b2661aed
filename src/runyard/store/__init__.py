"""The index: a rebuildable cache of the run logs, on SQLite (WAL) or PostgreSQL; and the blob
stores (``blobs.py``) that hold artifacts and media by content hash.

``Store`` owns the database; ``Ingestor`` keeps it in step with the logs; ``reindex`` rebuilds
it from the logs alone. They load on first use, so the SDK can use ``store.blobs`` without
importing SQLAlchemy (the ``server`` extra).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .db import Store
    from .ingest import Ingestor, reindex

_LAZY = {"Store": ".db", "Ingestor": ".ingest", "reindex": ".ingest"}


def __getattr__(name: str) -> Any:
    try:
        module = importlib.import_module(_LAZY[name], __name__)
    except KeyError:
        raise AttributeError(f"module 'runyard.store' has no attribute {name!r}") from None
    return getattr(module, name)


__all__ = ["Ingestor", "Store", "reindex"]
