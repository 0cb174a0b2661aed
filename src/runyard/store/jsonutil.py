"""JSON for index columns and API answers: non-finite floats become the strings "NaN",
"Infinity" and "-Infinity" (JSON has no such numbers), bytes become a short description."""

from __future__ import annotations

import json
import math
from typing import Any


def jsonable(v: Any) -> Any:
    t = type(v)
    if t is float:
        if math.isfinite(v):
            return v
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if t is dict:
        return {str(k): jsonable(x) for k, x in v.items()}
    if t is list or t is tuple:
        return [jsonable(x) for x in v]
    if t is bytes:
        return f"<{len(v)} bytes>"
    if v is None or t is int or t is bool or t is str:
        return v
    item = getattr(v, "item", None)
    if item is not None:
        return jsonable(item())
    return str(v)


def dumps(v: Any) -> str:
    return json.dumps(jsonable(v), separators=(",", ":"), allow_nan=False)


def loads(text: str) -> Any:
    return json.loads(text)
