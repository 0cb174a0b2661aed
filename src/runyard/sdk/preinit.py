"""Placeholders for ``runyard.config`` / ``runyard.summary`` before ``init()``: any use is a clear
error instead of a silent no-op."""

from __future__ import annotations

from typing import Any, NoReturn

from ..errors import UsageError


class PreInit:
    _name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise UsageError(f"runyard.{self._name} was used before runyard.init(); call runyard.init() first")

    __getattr__ = _fail
    __setattr__ = _fail
    __getitem__ = _fail
    __setitem__ = _fail
    __contains__ = _fail
    __iter__ = _fail
    __len__ = _fail

    def __repr__(self) -> str:
        return f"<runyard.{self._name}: call runyard.init() first>"
