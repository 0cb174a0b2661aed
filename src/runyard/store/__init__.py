"""The index: a rebuildable cache of the run logs, on SQLite (WAL) or PostgreSQL.

``Store`` owns the database; ``Ingestor`` keeps it in step with the logs; ``reindex`` rebuilds
it from the logs alone. Nothing here is imported by ``import runyard`` (SQLAlchemy is the
``server`` extra).
"""

from __future__ import annotations

from .db import Store
from .ingest import Ingestor, reindex

__all__ = ["Ingestor", "Store", "reindex"]
