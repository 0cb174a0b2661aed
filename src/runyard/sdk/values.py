"""Turning what a user logs into what the run log stores, on the caller's thread.

The fast path is plain Python scalars and strings: they are stored as they are. Everything else
goes through ``normalize``, which copies what it needs (the caller may reuse its arrays) and
returns a value the writer can encode: numbers, strings, lists, dicts and ``Media`` objects (the
writer turns those into typed references). Unsupported values raise ``LogValueError`` naming the
key and the type.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np

from ..errors import LogValueError
from ..types.base import Media, plain_scalar
from ..types.histogram import Histogram

PLAIN_TYPES = frozenset({float, int, str, bool, type(None)})
# Arrays of at most this many elements are kept as lists, larger ones as a histogram
# (docs/semantics.md, "Values log() accepts").
ARRAY_AS_LIST_MAX = 32
ARRAY_HISTOGRAM_BINS = 32
# For the writer's backlog bound, media count as one value per this many bytes of their data, so
# a queue of images waiting to be encoded stays within tens of megabytes (settings.queue_limit).
MEDIA_BYTES_PER_VALUE = 320
_COMPLEX_HINT = "log the real and imaginary parts under two keys (e.g. 'z/re' and 'z/im')"
_ACCEPTED = (
    "numbers, strings, bools, None, lists, tuples, dicts, numpy arrays and scalars, "
    "torch/tensorflow/jax tensors and runyard media types (Image, Histogram, Table, ...)"
)


class Normalized:
    """What normalising found: whether a value holds Media the writer must turn into refs, and
    the queue weight of that media (its bytes, in units of ``MEDIA_BYTES_PER_VALUE``)."""

    __slots__ = ("media", "weight")

    def __init__(self) -> None:
        self.media = False
        self.weight = 0


def tensor_to_numpy(value: Any) -> np.ndarray | None:
    """A numpy copy of a torch/tensorflow/jax tensor or any ``__array__`` object; else None."""
    module = type(value).__module__
    if module.startswith("torch"):
        detach = getattr(value, "detach", None)
        if detach is not None:
            return np.array(detach().cpu().numpy(), copy=True)
    if module.startswith(("tensorflow", "tf")) and hasattr(value, "numpy"):
        return np.array(value.numpy(), copy=True)
    if hasattr(value, "__array__"):
        return np.array(value, copy=True)
    return None


def normalize(key: str, value: Any, flags: Normalized) -> Any:
    """Return the storable form of ``value`` logged under ``key``, or raise ``LogValueError``."""
    t = type(value)
    if t in PLAIN_TYPES:
        return value
    if isinstance(value, Media):
        flags.media = True
        snap = value.snapshot()
        flags.weight += snap.queued_bytes() // MEDIA_BYTES_PER_VALUE
        return snap
    if isinstance(value, np.generic):
        return _numpy_scalar(key, value)
    plain = plain_scalar(value)
    if plain is not None:
        return plain
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise LogValueError(
                    f"log(): key {key!r} holds a dict with a non-string key {k!r} "
                    f"({type(k).__name__}); keys must be strings"
                )
            out[k] = normalize(f"{key}/{k}", v, flags)
        return out
    if isinstance(value, (list, tuple)):
        return [normalize(key, v, flags) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, complex):
        raise LogValueError(f"log(): cannot log key {key!r}: complex numbers are not supported; {_COMPLEX_HINT}")
    arr = value if isinstance(value, np.ndarray) else (
        None if isinstance(value, (bytes, bytearray, set)) else tensor_to_numpy(value)
    )
    if arr is not None:
        out_arr = _array(key, arr)
        if isinstance(out_arr, Media):
            flags.media = True
            flags.weight += arr.nbytes // MEDIA_BYTES_PER_VALUE
        return out_arr
    converted = _foreign(value)
    if converted is not None:
        flags.media = True
        flags.weight += converted.queued_bytes() // MEDIA_BYTES_PER_VALUE
        return converted
    raise LogValueError(
        f"log(): cannot log key {key!r}: values of type {t.__module__}.{t.__qualname__} are not "
        f"supported. Accepted: {_ACCEPTED}."
    )


def _numpy_scalar(key: str, value: np.generic) -> Any:
    """A numpy scalar as the Python value the log stores: floats of every width as float64 (a
    long double loses its extra precision, as in wandb), datetimes as ISO-8601 strings."""
    kind = value.dtype.kind
    if kind == "f":
        return float(value)
    if kind in "iu":
        return int(value)
    if kind == "b":
        return bool(value)
    if kind == "U":
        return str(value)
    if kind == "S":
        return str(value.item().decode("utf-8", "replace"))
    if kind == "M":
        return None if np.isnat(value) else str(np.datetime_as_string(value))
    if kind == "c":
        raise LogValueError(f"log(): cannot log key {key!r}: complex numbers are not supported; {_COMPLEX_HINT}")
    raise LogValueError(
        f"log(): cannot log key {key!r}: numpy values of dtype {value.dtype} are not supported. Accepted: {_ACCEPTED}."
    )


def _array(key: str, arr: np.ndarray) -> Any:
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        arr = arr.astype(np.float64)  # long double: stored as float64
    if arr.dtype.kind == "M" and arr.size <= ARRAY_AS_LIST_MAX:
        return [None if np.isnat(v) else str(np.datetime_as_string(v)) for v in arr.ravel()]
    if arr.dtype.kind not in "biuf":
        if arr.dtype.kind in "US":
            return arr.tolist()
        if arr.dtype.kind == "c":
            raise LogValueError(
                f"log(): cannot log key {key!r}: complex arrays are not supported; {_COMPLEX_HINT}"
            )
        raise LogValueError(
            f"log(): cannot log key {key!r}: numpy arrays of dtype {arr.dtype} are not supported "
            "(use numbers, bools or strings)"
        )
    if arr.size <= ARRAY_AS_LIST_MAX:
        return arr.tolist()
    return Histogram(arr, num_bins=ARRAY_HISTOGRAM_BINS)


def _foreign(value: Any) -> Any:
    """matplotlib and plotly figures become media (their converters live in types.foreign)."""
    module = type(value).__module__ or ""
    name = getattr(value, "__name__", "")
    if module.startswith(("matplotlib", "plotly")) or name == "matplotlib.pyplot":
        try:
            from ..types.foreign import convert_foreign
        except ImportError:
            return None
        return convert_foreign(value)
    return None


def normalize_row(data: dict[str, Any], flags: Normalized) -> tuple[dict[str, Any], list[str]]:
    """Normalise every value of a row; return the storable row and the error messages of the
    keys that had to be left out (the caller raises after logging the rest)."""
    out: dict[str, Any] = {}
    errors: list[str] = []
    for k, v in data.items():
        if type(k) is not str:
            errors.append(f"log(): key {k!r} is a {type(k).__name__}; keys must be strings")
            continue
        try:
            out[k] = normalize(k, v, flags)
        except LogValueError as e:
            errors.append(str(e))
    return out, errors


def materialize(value: Any, store: Any) -> Any:
    """Writer thread: replace every Media inside ``value`` by its typed reference."""
    if isinstance(value, Media):
        return value.to_ref(store)
    if type(value) is dict:
        return {k: materialize(v, store) for k, v in value.items()}
    if type(value) is list:
        return [materialize(v, store) for v in value]
    return value
