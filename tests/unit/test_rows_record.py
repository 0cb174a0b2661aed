"""A ROWS record holds its columns' bytes in the log's byte order, whatever arrays it is made from."""

from __future__ import annotations

import numpy as np

from runyard.log.records import Kind, decode, encode
from runyard.log.rowblock import RowsBlock, decode_rows, rows_record


def test_columns_come_back_exactly_from_any_array_layout() -> None:
    values = np.arange(24, dtype=np.float64).reshape(6, 4)[:, ::-2]  # every other column, reversed
    values[2, 1] = np.nan
    values[3, 0] = -0.0
    steps = np.arange(10, 22, 2).astype(">i8")  # big-endian: converted, not reinterpreted
    ts = np.linspace(1.7e9, 1.7e9 + 5, 12)[::2]  # a strided view
    rt = np.linspace(0.0, 5.0, 6).astype(np.float32)  # another dtype
    block = RowsBlock(["b", "a"], steps, ts, rt, values)
    record = decode(encode(rows_record(block)))
    assert record[0] == Kind.ROWS and all(type(part) is bytes for part in record[2:])
    back = decode_rows(record)
    assert back.keys == ["b", "a"]
    assert back.steps.tolist() == list(range(10, 22, 2))
    assert back.ts.tobytes() == np.ascontiguousarray(ts).tobytes()
    assert back.rt.tobytes() == rt.astype(np.float64).tobytes()
    assert back.values.tobytes() == np.ascontiguousarray(values).tobytes()  # NaN and -0.0 bit for bit
