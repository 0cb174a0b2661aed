"""Attribute access to the keys of a dict-like object, as ``run.config.lr`` and ``run.summary.acc``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


class KeysAsAttributes:
    """``obj.key`` reads ``obj["key"]``; ``obj.key = v`` and ``obj["key"] = v`` are ``obj.update({"key": v})``.

    A subclass provides ``__getitem__`` and ``update``, keeps its own state with
    ``object.__setattr__``, and names itself in ``_what`` for the error of a missing key.
    """

    _what = "object"

    if TYPE_CHECKING:
        def __getitem__(self, key: str) -> Any: ...
        def update(self, d: Any = None, /, **kwargs: Any) -> None: ...

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{self._what} has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self.update({name: value})

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})
