"""``wandb.sdk.lib.telemetry``: integrations record which features they use; runyard collects
no telemetry, so the context manager hands out an object that accepts any attribute."""

from __future__ import annotations

from types import TracebackType
from typing import Any


class _Anything:
    def __getattr__(self, name: str) -> Any:
        value = _Anything()
        object.__setattr__(self, name, value)
        return value


class _Context:
    def __init__(self, run: Any = None, obj: Any = None) -> None:
        self.value = _Anything()

    def __enter__(self) -> Any:
        return self.value

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None


def context(run: Any = None, obj: Any = None) -> _Context:
    return _Context(run, obj)


__all__ = ["context"]
