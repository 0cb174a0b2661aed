"""Arrays and tensors put into the summary (docs/media-refs.md, ``array``): stored whole, summarised by statistics."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from .base import Media, MediaStore

PERCENTILES = (5, 25, 50, 75, 95)


class ArrayFile(Media):
    """An array saved whole as ``.npy``; its reference carries shape, dtype and statistics.

    Reference: ``{"_type": "array", "path", "sha256", "size", "shape", "dtype", "min", "max",
    "mean", "var", "percentiles": {"5": ..., ..., "95": ...}}`` (statistics over finite values;
    absent for non-numeric or empty arrays).
    """

    _type = "array"

    def __init__(self, array: np.ndarray) -> None:
        self.array = np.array(array, copy=True)

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        buf = io.BytesIO()
        np.save(buf, self.array, allow_pickle=False)
        ref: dict[str, Any] = {"_type": "array", **store.put_bytes("array", buf.getvalue(), "npy")}
        ref["shape"] = list(self.array.shape)
        ref["dtype"] = str(self.array.dtype)
        if self.array.dtype.kind in "biuf" and self.array.size:
            flat = self.array.astype(float).ravel()
            flat = flat[np.isfinite(flat)]
            if flat.size:
                ref.update(min=float(flat.min()), max=float(flat.max()), mean=float(flat.mean()),
                           var=float(flat.var()))
                ref["percentiles"] = {
                    str(p): float(v) for p, v in zip(PERCENTILES, np.percentile(flat, PERCENTILES), strict=True)
                }
        return ref
