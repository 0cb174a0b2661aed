"""Scalars (step, tag, value) gathered into history rows, in blocks of rows under the same keys.

TensorBoard writes one event per scalar; runyard's history has one row per step. Rows that hold
the same tags, one after another, are one block, which the sink writes as one columnar ROWS record
(``docs/run-log.md``), so a million scalars cost a few numpy passes, not a million dicts.

Rules, the same as for values read one event at a time: a tag logged twice at one step keeps the
value that came last in the files; a row's time is the latest wall time of the events at its step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .scalar_events import Scalars

_BLOCK_BYTES = 1 << 20  # a ROWS record stays near this size


@dataclass
class Block:
    """Rows ``steps`` (increasing) with one value per key each: ``values[i, j]`` is ``keys[j]``."""

    steps: npt.NDArray[np.int64]
    walls: npt.NDArray[np.float64]
    keys: list[str]
    values: npt.NDArray[np.float64]


def gather(sc: Scalars, other_steps: npt.NDArray[np.int64]) -> tuple[list[Block], Scalars]:
    """Blocks of the scalars at steps not in ``other_steps`` (sorted), and the scalars at those
    steps, which join those steps' other values one by one. ``sc.record`` orders events as they
    came in the files."""
    order = np.lexsort((sc.record, sc.tag, sc.step))
    sc = sc.take(order)
    loose_mask = np.isin(sc.step, other_steps)
    loose = sc.take(np.flatnonzero(loose_mask))
    rest = sc.take(np.flatnonzero(~loose_mask))
    step, wall, tag, value, tags = rest.step, rest.wall, rest.tag, rest.value, rest.tags
    if len(step) == 0:
        return [], loose
    row_start = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    row_wall = np.maximum.reduceat(wall, row_start)
    last = np.r_[(step[1:] != step[:-1]) | (tag[1:] != tag[:-1]), True]  # the last of each (step, tag)
    step, tag, value = step[last], tag[last], value[last]
    row_start = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    counts = np.diff(np.r_[row_start, len(step)])
    nrows = len(row_start)
    # a block ends where the next row has other tags, or where another value's step lies between
    row_of = np.repeat(np.arange(nrows), counts)
    offset = np.arange(len(step)) - row_start[row_of]
    same_count = np.r_[False, counts[1:] == counts[:-1]]
    prev = np.where(same_count[row_of] & (row_of > 0), row_start[np.maximum(row_of - 1, 0)] + offset, 0)
    differs = np.logical_or.reduceat(tag != tag[prev], row_start) | ~same_count
    row_steps = step[row_start]
    slot = np.searchsorted(other_steps, row_steps)
    differs |= np.r_[True, slot[1:] != slot[:-1]]
    block_start = np.flatnonzero(differs)
    blocks: list[Block] = []
    for b, first_row in enumerate(block_start.tolist()):
        end_row = int(block_start[b + 1]) if b + 1 < len(block_start) else nrows
        width = int(counts[first_row])
        lo = int(row_start[first_row])
        hi = lo + width * (end_row - first_row)
        keys = [tags[t] for t in tag[lo : lo + width].tolist()]
        vals = value[lo:hi].reshape(-1, width)
        per = max(1, _BLOCK_BYTES // (24 + 8 * width))
        for a in range(0, end_row - first_row, per):
            rows = slice(first_row + a, min(first_row + a + per, end_row))
            blocks.append(Block(row_steps[rows], row_wall[rows], keys, vals[a : a + per]))
    return blocks, loose
