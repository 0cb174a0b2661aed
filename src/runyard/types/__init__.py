"""Rich value types (docs/media-refs.md): each builds on the caller's thread and encodes on the writer's.

The classes load on first use (PEP 562): ``runyard.types.base`` alone must not pull in every type.
"""

from __future__ import annotations

import importlib
from typing import Any

_CLASSES = {
    "Audio": ".audio",
    "Graph": ".graph",
    "Histogram": ".histogram",
    "Html": ".html",
    "Image": ".image",
    "Media": ".base",
    "MediaStore": ".base",
    "Molecule": ".molecule",
    "Object3D": ".object3d",
    "PartitionedTable": ".partitioned_table",
    "Plotly": ".plotly",
    "Table": ".table",
    "Video": ".video",
}


def __getattr__(name: str) -> Any:
    try:
        module = importlib.import_module(_CLASSES[name], __name__)
    except KeyError:
        raise AttributeError(f"module 'runyard.types' has no attribute {name!r}") from None
    value = getattr(module, name)
    globals()[name] = value
    return value


__all__ = sorted(_CLASSES)
