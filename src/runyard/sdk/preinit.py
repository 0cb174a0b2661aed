"""Placeholders for ``runyard.config`` / ``runyard.summary`` before ``init()``: any use is a clear
error instead of a silent no-op. The message is wandb's ("You must call wandb.init() before
wandb.config.update"), naming ``wandb`` when the use came through runyard's alias
(docs/wandb-compat.md) and ``runyard`` otherwise."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from ..errors import UsageError


def _prefix() -> str:
    return "wandb" if getattr(sys.modules.get("wandb"), "__runyard_alias__", False) else "runyard"


class PreInit:
    _name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _fail(self, what: str) -> NoReturn:
        p = _prefix()
        raise UsageError(f"You must call {p}.init() before {p}.{self._name}{what}")

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):
            raise AttributeError(name)
        self._fail(f".{name}")

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        self._fail(f".{name}")

    def __getitem__(self, key: Any) -> NoReturn:
        self._fail(f"[{key!r}]")

    def __setitem__(self, key: Any, value: Any) -> NoReturn:
        self._fail(f"[{key!r}]")

    def __contains__(self, key: Any) -> NoReturn:
        self._fail("")

    def __iter__(self) -> NoReturn:
        self._fail("")

    def __len__(self) -> NoReturn:
        self._fail("")

    def __repr__(self) -> str:
        return f"<{_prefix()}.{self._name}: call {_prefix()}.init() first>"
