"""Record kinds of a run log and their msgpack encoding.

Each frame's payload is one msgpack array whose first item is the record kind. msgpack keeps
float64 values bit for bit, NaN and ±inf included (JSON would turn them into null). The full list
of kinds and fields is documented in ``docs/run-log.md``; this module is its single definition.
"""

from __future__ import annotations

import enum
from typing import Any

import msgpack


class Kind(enum.IntEnum):
    START = 1  # [1, {id, project, entity, name, config, tags, ..., metadata, created_at}]
    CONFIG = 2  # [2, {key: value, ...}]  keys set or replaced
    ROW = 3  # [3, step, timestamp, runtime, {key: value, ...}]  one committed history row
    SUMMARY = 4  # [4, {key: value, ...}, [deleted keys]]  manual summary edits
    OUTPUT = 5  # [5, timestamp, stream (1 stdout, 2 stderr), text]
    HEARTBEAT = 6  # [6, timestamp, runtime]
    METRIC = 7  # [7, {name, step_metric, summary, goal, hidden}]
    UPDATE = 8  # [8, {name|tags|notes|group|job_type: value}]
    END = 9  # [9, timestamp, runtime, exit_code, {error?}]
    METADATA = 10  # [10, {key: value}]  metadata learned after start (git, ...)
    RESUME = 11  # [11, timestamp, {pid, host, pid_start}]
    ARTIFACT = 12  # [12, {action: logged|used|linked, project, name, type, version, digest, ...}]
    SYSTEM = 13  # [13, sample_no, timestamp, runtime, {"system/...": number}]  system metrics, own stream
    ALERT = 14  # [14, timestamp, {title, text, level, wait_duration}]  run.alert()
    ROWS = 16  # [16, [key, ...], steps <i8, timestamps <f8, runtimes <f8, values <f8 (rows x keys)]  rows of floats
    LOSS = 15  # [15, timestamp, {rows, records, first_step, last_step, error}]  writes that failed, totals so far


def _default(obj: Any) -> Any:
    # Values reaching the encoder are normalised by the SDK; this catches the stragglers cheaply.
    item = getattr(obj, "item", None)  # numpy scalars
    if item is not None:
        return item()
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, int):  # past 64 bits: msgpack has no such integers
        return float(obj)
    raise TypeError(f"cannot encode a value of type {type(obj).__name__} in a run log")


_packer = msgpack.Packer(default=_default, use_bin_type=True, strict_types=False)


def encode(record: list[Any]) -> bytes:
    """Encode one record; integers past 64 bits are stored as floats."""
    try:
        return bytes(_packer.pack(record))
    except OverflowError:
        _packer.reset()
        return bytes(_packer.pack(_shrink_ints(record)))


def _shrink_ints(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return float(value)
    if isinstance(value, list):
        return [_shrink_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _shrink_ints(v) for k, v in value.items()}
    return value


def decode(payload: bytes) -> list[Any]:
    """Decode one record payload."""
    record = msgpack.unpackb(payload, raw=False, strict_map_key=False)
    if not isinstance(record, list) or not record:
        raise ValueError("run log record is not a non-empty array")
    return record
