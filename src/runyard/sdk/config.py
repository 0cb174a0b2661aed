"""``run.config`` (docs/semantics.md, "Config"): a dict with attribute access whose changes go to the run log."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ConfigError, LogValueError, RunyardWarning
from .keyed import KeysAsAttributes
from .values import Normalized, normalize


def config_dict(obj: Any, what: str = "config") -> dict[str, Any]:
    """Accept a dict, an argparse Namespace, absl/tf FLAGS, a dataclass or any object with vars."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return dict(obj)
    flag_values = getattr(obj, "flag_values_dict", None)  # absl.flags / tf.app.flags FLAGS
    if callable(flag_values):
        return dict(flag_values())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if hasattr(obj, "items") and callable(obj.items):
        return dict(obj.items())
    if hasattr(obj, "__dict__"):  # argparse.Namespace and plain objects
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    raise TypeError(
        f"{what}: expected a dict, an argparse Namespace, absl FLAGS or a dataclass, got "
        f"{type(obj).__name__}"
    )


def _plain_keys(value: Any) -> Any:
    """Nested dict keys that are not strings become strings and sets become lists, as wandb
    stores them (a model config's ``id2label`` has int keys)."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): _plain_keys(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [_plain_keys(v) for v in sorted(value, key=repr)]
    if isinstance(value, (list, tuple)):
        return [_plain_keys(v) for v in value]
    return value


def _clean(key: Any, value: Any) -> Any:
    if not isinstance(key, str):
        raise TypeError(f"config keys must be strings, got {key!r} ({type(key).__name__})")
    value = _plain_keys(value)
    flags = Normalized()
    try:
        out = normalize(key, value, flags)
    except LogValueError as e:
        raise TypeError(str(e).replace("log():", "config:")) from None
    if flags.media:
        raise TypeError(f"config: key {key!r} holds a media value; log media with run.log() instead")
    return out


class Config(KeysAsAttributes):
    """Dict-like with attribute access: ``run.config.lr``, ``run.config["lr"]``, ``update()``."""

    _what = "config"

    def __init__(self, items: dict[str, Any], on_change: Callable[[dict[str, Any]], None] | None) -> None:
        object.__setattr__(self, "_items", items)
        object.__setattr__(self, "_on_change", on_change)
        object.__setattr__(self, "_locked", {})  # key -> who set it (a sweep): later updates are ignored
        object.__setattr__(self, "_changes_allowed", False)  # init(allow_val_change=True)

    def lock(self, keys: Any, by: str) -> None:
        """Keep ``keys`` as they are: a later update of one is ignored with a warning (wandb does
        so for the parameters a sweep sets)."""
        self._locked.update(dict.fromkeys(keys, by))

    def allow_changes(self) -> None:
        """Let every later update change values already set (``init(allow_val_change=True)``)."""
        object.__setattr__(self, "_changes_allowed", True)

    def update(self, d: Any = None, allow_val_change: bool | None = None, **kwargs: Any) -> None:
        """Set several keys at once from a dict, Namespace, FLAGS or keyword arguments.

        Changing the value of a key already set raises ``ConfigError`` unless
        ``allow_val_change=True`` here or at ``init`` (as wandb does); setting it to an equal
        value is fine.
        """
        changes = {k: _clean(k, v) for k, v in {**config_dict(d), **kwargs}.items()}
        for k in [k for k in changes if k in self._locked and self._items.get(k) != changes[k]]:
            warnings.warn(f"config: {k!r} was set by {self._locked[k]}; the update to {changes.pop(k)!r} is "
                          "ignored", RunyardWarning, stacklevel=2)
        if not (allow_val_change or self._changes_allowed):
            for k, v in changes.items():
                if k in self._items and self._items[k] != v:
                    raise ConfigError(
                        f"config: attempted to change the value of key {k!r} from {self._items[k]!r} to "
                        f"{v!r}; if you mean it, pass allow_val_change=True to config.update() "
                        "(nothing was changed)"
                    )
        if changes:
            self._items.update(changes)
            if self._on_change is not None:
                self._on_change(changes)

    def setdefaults(self, d: dict[str, Any]) -> None:
        """Set only the keys not set yet."""
        self.update({k: v for k, v in config_dict(d).items() if k not in self._items})

    def update_locked(self, d: Any, user: str | None = None, _allow_val_change: bool | None = None) -> None:
        """wandb's name for an update made by a library (sweeps lock keys there); same as update."""
        self.update(d, allow_val_change=True)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._items)

    def keys(self) -> Any:
        return self._items.keys()

    def items(self) -> Any:
        return self._items.items()

    def values(self) -> Any:
        return self._items.values()

    def get(self, key: str, default: Any = None) -> Any:
        return self._items.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Config({self._items!r})"
