"""Helpers of ``wandb.util`` that training scripts import."""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

_ID_ALPHABET = string.ascii_lowercase + string.digits


def generate_id(length: int = 8) -> str:
    """A random run id of ``length`` lower-case letters and digits."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def make_artifact_name_safe(name: str) -> str:
    """``name`` with every character but letters, digits, '-', '_' and '.' replaced by '_',
    cut to 128 characters by dropping the middle (wandb's rule for artifact names)."""
    cleaned = re.sub(r"[^a-zA-Z0-9_.-]", "_", name)
    if len(cleaned) <= 128:
        return cleaned
    return cleaned[:63] + ".." + cleaned[-63:]


def to_forward_slash_path(path: str) -> str:
    return path.replace("\\", "/")


def get_module(name: str, required: str | bool | None = None) -> Any:
    """Import ``name`` if it is installed; None, or ImportError with ``required`` as the hint."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        if required:
            raise ImportError(required if isinstance(required, str) else f"{name} is required") from None
        return None


def is_numpy_array(obj: Any) -> bool:
    import numpy as np

    return isinstance(obj, np.ndarray)
