"""``run.summary`` of a live run (docs/semantics.md, "Summary"): reads come from the writer's state after a barrier;
writes are queued as summary records. Arrays and tensors are stored whole (docs/media-refs.md, ``array``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import numpy as np

from ..types.array import ArrayFile
from .keyed import KeysAsAttributes
from .values import Normalized, normalize, tensor_to_numpy


def summary_value(key: str, value: Any) -> tuple[Any, bool]:
    """The storable form of a summary value and whether it holds media."""
    if isinstance(value, np.ndarray):
        return ArrayFile(value), True
    if not isinstance(value, (int, float, str, bool, list, tuple, dict, np.generic)) and value is not None:
        arr = tensor_to_numpy(value) if hasattr(value, "shape") else None
        if arr is not None:
            return ArrayFile(arr), True
    flags = Normalized()
    return normalize(key, value, flags), flags.media


class Summary(KeysAsAttributes, MutableMapping[str, Any]):
    _what = "summary"

    def __init__(
        self, read: Callable[[], dict[str, Any]], write: Callable[[dict[str, Any], list[str], bool], None]
    ) -> None:
        object.__setattr__(self, "_read", read)
        object.__setattr__(self, "_write", write)

    def __getitem__(self, key: str) -> Any:
        return self._read()[key]

    def __delitem__(self, key: str) -> None:
        if key not in self._read():
            raise KeyError(key)
        self._write({}, [key], False)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._read()))

    def __len__(self) -> int:
        return len(self._read())

    def update(self, d: Any = None, /, **kwargs: Any) -> None:
        items = {**dict(d or {}), **kwargs}
        out: dict[str, Any] = {}
        media = False
        for k, v in items.items():
            if not isinstance(k, str):
                raise TypeError(f"summary keys must be strings, got {k!r}")
            out[k], m = summary_value(k, v)
            media = media or m
        if out:
            self._write(out, [], media)

    def __repr__(self) -> str:
        return f"Summary({self._read()!r})"
