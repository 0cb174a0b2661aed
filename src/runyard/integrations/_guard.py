"""One place that turns a failure inside an integration into one line and lets training go on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ..sdk.report import Reporter

_reporter = Reporter()
F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def guard(integration: str, call: str) -> Iterator[None]:
    """Run the body; an exception becomes ``runyard: <integration>: <call> failed — <error>;
    training goes on`` (once per integration, call and error type)."""
    try:
        yield
    except Exception as e:
        _reporter.once(f"{integration}.{call}.{type(e).__name__}",
                       f"{integration}: {call} failed — {type(e).__name__}: {e}; training goes on")


def current_run(integration: str) -> Any:
    """The current run; a clear error when there is none (callbacks need ``init()`` first)."""
    import runyard

    if runyard.run is None:
        from ..errors import UsageError

        raise UsageError(f"{integration}: call wandb.init() (runyard.init()) before using this callback")
    return runyard.run
