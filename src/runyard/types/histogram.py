"""``Histogram`` (docs/media-refs.md, ``histogram``): counts over bin edges, binned on the writer thread."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import Media, MediaStore

MAX_BINS = 512


class Histogram(Media):
    """A histogram of a sequence (binned into ``num_bins``) or of ``np_histogram=(counts, edges)``.

    Reference: ``{"_type": "histogram", "values": [counts], "bins": [edges]}`` (len(bins) ==
    len(values) + 1).
    """

    _type = "histogram"

    def __init__(
        self,
        sequence: Sequence[Any] | np.ndarray | None = None,
        np_histogram: tuple[Any, Any] | None = None,
        num_bins: int = 64,
    ) -> None:
        if not isinstance(num_bins, int) or isinstance(num_bins, bool) or num_bins < 1:
            raise ValueError(f"Histogram: num_bins must be a positive integer, got {num_bins!r}")
        if num_bins > MAX_BINS:
            raise ValueError(f"Histogram: at most {MAX_BINS} bins are supported, got num_bins={num_bins}")
        self.num_bins = num_bins
        self._data: np.ndarray | None = None
        self.values: list[float] | None = None
        self.bins: list[float] | None = None
        if np_histogram is not None:
            if len(np_histogram) != 2:
                raise ValueError("Histogram: np_histogram must be (counts, bin_edges) as numpy.histogram returns")
            counts = np.asarray(np_histogram[0], dtype=float).ravel()
            edges = np.asarray(np_histogram[1], dtype=float).ravel()
            if len(edges) != len(counts) + 1:
                raise ValueError(
                    f"Histogram: np_histogram needs len(bin_edges) == len(counts) + 1, got "
                    f"{len(edges)} edges for {len(counts)} counts"
                )
            if len(counts) > MAX_BINS:
                raise ValueError(f"Histogram: at most {MAX_BINS} bins are supported, got {len(counts)}")
            self.values, self.bins = counts.tolist(), edges.tolist()
        elif sequence is not None:
            arr = np.array(sequence, dtype=float, copy=True).ravel()  # copy: caller may reuse it
            self._data = arr
        else:
            raise ValueError("Histogram: pass a sequence or np_histogram=(counts, bin_edges)")

    def _compute(self) -> None:
        if self.values is None and self._data is not None:
            finite = self._data[np.isfinite(self._data)]
            counts, edges = np.histogram(finite, bins=self.num_bins)
            self.values, self.bins = counts.astype(float).tolist(), edges.tolist()
            self._data = None

    def to_ref(self, store: MediaStore | None = None) -> dict[str, Any]:
        self._compute()
        return {"_type": "histogram", "values": self.values, "bins": self.bins}
