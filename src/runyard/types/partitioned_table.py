"""``PartitionedTable`` (docs/artifacts.md, "Partitioned tables"): one table made of the tables
stored under a folder of an artifact, as wandb's.

Add the parts with ``artifact.add(table, "parts/0")``, ``artifact.add(table, "parts/1")``, ... and
the whole with ``artifact.add(PartitionedTable("parts"), "all")``; ``artifact.get("all")`` then
reads every part in name order. Built by hand it has no parts until it comes from an artifact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .base import Media, MediaStore


class PartitionedTable(Media):
    """The tables under ``parts_path`` of the artifact it is added to, read as one table."""

    _type = "partitioned-table"

    def __init__(self, parts_path: str) -> None:
        if not isinstance(parts_path, str) or not parts_path.strip("/"):
            raise ValueError(f"PartitionedTable: parts_path must name a folder of the artifact, got {parts_path!r}")
        self.parts_path = parts_path.strip("/")
        self._load_parts: Callable[[], list[Any]] | None = None

    @classmethod
    def _from_artifact(cls, parts_path: str, load_parts: Callable[[], list[Any]]) -> PartitionedTable:
        obj = cls(parts_path)
        obj._load_parts = load_parts
        return obj

    def parts(self) -> list[Any]:
        """The part tables (views), in name order; none when not read from an artifact."""
        return self._load_parts() if self._load_parts is not None else []

    def iterrows(self) -> Iterator[tuple[int, list[Any]]]:
        """``(index, row)`` over every part's rows in turn, the index counting across parts."""
        index = 0
        for part in self.parts():
            for row in part.data:
                yield index, row
                index += 1

    @property
    def columns(self) -> list[str]:
        parts = self.parts()
        return list(parts[0].columns) if parts else []

    @property
    def data(self) -> list[list[Any]]:
        return [row for _, row in self.iterrows()]

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        return {"_type": self._type, "parts_path": self.parts_path}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionedTable) and other.parts_path == self.parts_path

    def __hash__(self) -> int:
        return hash((PartitionedTable, self.parts_path))

    def __repr__(self) -> str:
        return f"PartitionedTable(parts_path={self.parts_path!r})"
