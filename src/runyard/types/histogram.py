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
        self._values: list[float] | None = None
        self._bins: list[float] | None = None
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
            self._values, self._bins = counts.tolist(), edges.tolist()
        elif sequence is not None:
            arr = np.array(sequence, dtype=float, copy=True).ravel()  # copy: caller may reuse it
            self._data = arr
        else:
            raise ValueError("Histogram: pass a sequence or np_histogram=(counts, bin_edges)")

    def _computed(self) -> tuple[list[float], list[float]]:
        """``(counts, edges)``, binning the sequence the first time."""
        if self._values is None and self._data is not None:
            finite = self._data[np.isfinite(self._data)]
            counts, edges = np.histogram(finite, bins=self.num_bins)
            self._values, self._bins = counts.astype(float).tolist(), edges.tolist()
            self._data = None
        assert self._values is not None and self._bins is not None
        return self._values, self._bins

    # A sequence is binned on first use (on the writer thread when it is only logged), so
    # building a Histogram in a training loop costs a copy, not a numpy.histogram.
    @property
    def values(self) -> list[float]:
        """The counts of each bin."""
        return self._computed()[0]

    @property
    def histogram(self) -> list[float]:
        """wandb's name for the counts (``values``)."""
        return self.values

    @property
    def bins(self) -> list[float]:
        """The bin edges (one more than the counts)."""
        return self._computed()[1]

    def to_ref(self, store: MediaStore | None = None) -> dict[str, Any]:
        values, bins = self._computed()
        return {"_type": "histogram", "values": values, "bins": bins}
