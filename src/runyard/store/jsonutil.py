"""JSON for index columns and API answers, in the one tagged encoding of ``runyard.jsonvalue``
(non-finite floats, big integers and bytes as one-key tags; see ``docs/http-api.md``).

``loads`` does not decode the tags: what the index stores is what the API sends."""

from __future__ import annotations

import json
from typing import Any

from ..jsonvalue import dumps, encode

jsonable = encode


def loads(text: str) -> Any:
    return json.loads(text)


__all__ = ["dumps", "jsonable", "loads"]
