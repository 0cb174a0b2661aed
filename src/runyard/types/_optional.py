"""Helpers shared by Image, Audio and Video: lazy optional imports and array conversion."""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

import numpy as np

MEDIA_EXTRA = "pip install 'runyard[media]'"
_PACKAGES = {"PIL": "Pillow", "imageio_ffmpeg": "imageio-ffmpeg"}  # import name -> distribution


def import_optional(module: str, what: str, extra: str = MEDIA_EXTRA) -> Any:
    """Import ``module`` (Pillow, imageio, soundfile, ...) or raise ImportError naming the extra."""
    try:
        mod: ModuleType = importlib.import_module(module)
    except ImportError as e:
        top = module.split(".")[0]
        package = _PACKAGES.get(top, top)
        raise ImportError(f"{what} needs the optional package {package!r}, which is not installed ({e}); "
                          f"install it with: {extra}") from e
    return mod


def is_array_like(value: Any) -> bool:
    """True for numpy arrays and tensors (torch/tensorflow/jax) or anything with ``__array__``."""
    return isinstance(value, np.ndarray) or hasattr(value, "__array__") or _is_tensor(value)


def _is_tensor(value: Any) -> bool:
    module = type(value).__module__
    return module.startswith(("torch", "tensorflow", "jax")) and hasattr(value, "shape")


def to_numpy(value: Any) -> np.ndarray:
    """A private numpy copy of an array, tensor or nested sequence (the caller may reuse it)."""
    module = type(value).__module__
    if module.startswith("torch") and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    elif module.startswith("tensorflow") and hasattr(value, "numpy"):
        value = value.numpy()
    return np.array(value, copy=True, order="C")


def read_file(path: str | os.PathLike[str], what: str, noun: str) -> tuple[bytes, str]:
    """The bytes of a media file a user named, and how messages name it (``Image('a.png')``)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what}: no such {noun} file: {str(path)!r}")
    with open(path, "rb") as f:
        return f.read(), f"{what}({str(path)!r})"
