"""Run values as JSON, exactly: the one tagged encoding for what JSON cannot hold.

A run log (msgpack) holds NaN, ±inf, bytes and integers up to 64 bits; JSON has no NaN or
infinity, no bytes, and JavaScript reads integers past 2^53 inexactly. Wherever a value leaves
Python as JSON (index columns, every HTTP answer, table files, the HTTP client's edits) it is
written with ``encode`` and read back with ``decode``; the web UI reads the same tags
(``web/src/lib/format.ts``). The tags are one-key objects, so no user *string* can be mistaken
for one (the model is datasette's ``{"$base64": true, ...}``)::

    {"$float": "NaN" | "Infinity" | "-Infinity"}   a non-finite float
    {"$int": "18446744073709551615"}               an integer outside ±(2^53 - 1)
    {"$bytes": "<base64>"}                          bytes
    {"$object": {...}}                              a user dict whose only key is one of these tags

``-0.0`` needs no tag: JSON writes it as ``-0.0`` and both Python and JavaScript read it back.
Everything else (finite floats, small integers, strings, bools, null, lists, other dicts) is
itself. ``decode(encode(v)) == v`` for every value a run log holds; see ``docs/http-api.md``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

FLOAT, INT, BYTES, OBJECT = "$float", "$int", "$bytes", "$object"
TAGS = frozenset({FLOAT, INT, BYTES, OBJECT})
JS_SAFE = 2**53 - 1

_NONFINITE_OUT = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_NAN = {FLOAT: "NaN"}
_POS = {FLOAT: "Infinity"}
_NEG = {FLOAT: "-Infinity"}


class TaggedValueError(ValueError):
    """A JSON value carries a tag with a malformed payload; the message names where."""


def encode_float(v: float) -> Any:
    """A float as JSON: itself when finite, else its tag (the hot path of series answers)."""
    if v - v == 0.0:  # finite (NaN - NaN and inf - inf are NaN)
        return v
    return dict(_NAN) if v != v else dict(_POS if v > 0 else _NEG)


def encode(v: Any) -> Any:
    """``v`` with every value JSON cannot hold exactly replaced by its tag.

    numpy scalars become their Python value, tuples lists; any other object becomes its
    ``str`` (the index and API show it, nothing reads it back as a number)."""
    t = type(v)
    if t is float:
        return v if v - v == 0.0 else encode_float(v)
    if t is str or v is None or t is bool:
        return v
    if t is int:
        return v if -JS_SAFE <= v <= JS_SAFE else {INT: str(v)}
    if t is dict:
        out = {k if type(k) is str else str(k): encode(x) for k, x in v.items()}
        if len(out) == 1 and next(iter(out)) in TAGS:
            return {OBJECT: out}
        return out
    if t is list or t is tuple:
        return [encode(x) for x in v]
    if t is bytes or t is bytearray or t is memoryview:
        return {BYTES: base64.b64encode(bytes(v)).decode("ascii")}
    item = getattr(v, "item", None)
    if item is not None:
        return encode(item())
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return encode(int(v))
    if isinstance(v, float):
        return encode(float(v))
    if isinstance(v, str):
        return str(v)
    return str(v)


def decode(v: Any, where: str = "value") -> Any:
    """The Python value of a JSON value written by ``encode`` (or by the web UI).

    Raises ``TaggedValueError`` naming ``where`` for a tag with a malformed payload."""
    t = type(v)
    if t is dict:
        if len(v) == 1:
            (tag, payload), = v.items()
            if tag in TAGS:
                return _untag(tag, payload, where)
        return {k: decode(x, f"{where}.{k}") for k, x in v.items()}
    if t is list:
        return [decode(x, f"{where}[{i}]") for i, x in enumerate(v)]
    return v


def _untag(tag: str, payload: Any, where: str) -> Any:
    if tag == FLOAT:
        if payload in _NONFINITE_OUT:
            return _NONFINITE_OUT[payload]
        raise TaggedValueError(f'{where}: {{"$float": ...}} must hold "NaN", "Infinity" or "-Infinity", '
                               f"got {payload!r}")
    if tag == INT:
        if isinstance(payload, str) and payload.lstrip("-").isdigit() and payload.isascii() \
                and len(payload) <= 400:
            return int(payload)
        raise TaggedValueError(f'{where}: {{"$int": ...}} must hold the integer\'s decimal digits as a '
                               f"string, got {payload!r}")
    if tag == BYTES:
        if isinstance(payload, str):
            try:
                return base64.b64decode(payload.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError):
                pass
        raise TaggedValueError(f'{where}: {{"$bytes": ...}} must hold base64 text, got {payload!r}')
    if isinstance(payload, dict):  # OBJECT: a user dict that looked like a tag
        return {k: decode(x, f"{where}.{k}") for k, x in payload.items()}
    raise TaggedValueError(f'{where}: {{"$object": ...}} must hold an object, got {payload!r}')


def dumps(v: Any) -> str:
    """Compact JSON text of ``encode(v)``."""
    return json.dumps(encode(v), separators=(",", ":"), allow_nan=False)


def loads(text: str | bytes) -> Any:
    """``decode`` of JSON text."""
    return decode(json.loads(text))


MAX_LOG_INT = 2**64 - 1
MIN_LOG_INT = -(2**63)


def check_loggable(v: Any, where: str = "value", depth: int = 0) -> None:
    """Raise ``ValueError`` naming ``where`` when a run log cannot hold ``v`` exactly: integers
    outside msgpack's 64 bits, text that is not valid Unicode (a lone surrogate), nesting deeper
    than 100 levels. Used before anything received over HTTP is appended to a log."""
    if depth > 100:
        raise ValueError(f"{where}: nested more than 100 levels deep")
    t = type(v)
    if t is int:
        if not MIN_LOG_INT <= v <= MAX_LOG_INT:
            raise ValueError(f"{where}: the integer {v} is outside the 64 bits a run log holds "
                             f"({MIN_LOG_INT}..{MAX_LOG_INT}); send it as a float or a string")
    elif t is str:
        _check_text(v, where)
    elif t is dict:
        for k, x in v.items():
            _check_text(k, f"{where} key {k!r}")
            check_loggable(x, f"{where}.{k}", depth + 1)
    elif t is list:
        for i, x in enumerate(v):
            check_loggable(x, f"{where}[{i}]", depth + 1)


def _check_text(s: Any, where: str) -> None:
    if not isinstance(s, str):
        raise ValueError(f"{where}: keys must be strings")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{where}: the text holds a lone surrogate {s[exc.start:exc.end]!r} at "
                         f"position {exc.start}, which is not valid Unicode") from None
