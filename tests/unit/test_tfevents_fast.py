"""The bulk readers of TensorBoard event files agree, record for record, with the plain ways:
numpy CRC-32C with ``google-crc32c``, ``read_spans`` with a walk of the framing, the scalar decoder
with TensorBoard's protobuf classes, and a whole import with values merged one event at a time."""

from __future__ import annotations

import math
import random
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

google_crc32c = pytest.importorskip("google_crc32c", reason="needs the import-tensorboard extra")
pytest.importorskip("tensorboard", reason="needs the import-tensorboard extra")

from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

import runyard  # noqa: E402
from runyard.importers.crc32c import crc32c_fixed, crc32c_many  # noqa: E402
from runyard.importers.scalar_events import decode  # noqa: E402
from runyard.importers.tensorboard import import_logdir  # noqa: E402
from runyard.importers.tfrecord import RecordError, read_spans, verify_payloads, write_record  # noqa: E402


def _walk(data: bytes) -> list[bytes]:
    """The framing read the obvious way (no checksums): the reference for ``read_spans``."""
    out, offset = [], 0
    while offset + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        if offset + 16 + length > len(data):
            break
        out.append(data[offset + 12 : offset + 12 + length])
        offset += 16 + length
    return out


def _payloads(data: bytes) -> list[bytes]:
    starts, lengths = read_spans(data)
    return [data[s : s + n] for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)]


def test_crc32c_of_many_strings_matches_google_crc32c() -> None:
    rng = np.random.default_rng(1)
    buf = rng.integers(0, 256, 20_000, dtype=np.uint8)
    raw = buf.tobytes()
    lengths = np.arange(0, 400, dtype=np.int64)
    starts = rng.integers(0, 19_000, len(lengths)).astype(np.int64)
    got = crc32c_many(buf, starts, lengths)
    want = [google_crc32c.value(raw[s : s + n]) for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)]
    assert got.tolist() == want
    fixed = crc32c_fixed(buf, starts, 8)
    assert fixed.tolist() == [google_crc32c.value(raw[s : s + 8]) for s in starts.tolist()]


def test_read_spans_agrees_with_a_walk_at_every_cut() -> None:
    rng = random.Random(7)
    records: list[bytes] = []
    out = bytearray()
    for _ in range(300):
        size = rng.choice([0, 1, 12, 45, 255, 256, 257, 4000])
        payload = bytearray(rng.getrandbits(8) for _ in range(min(size, 32))) + bytearray(max(0, size - 32))
        if size >= 40 and rng.random() < 0.3:  # a valid-looking header inside the payload
            fake = bytearray()
            write_record(fake, b"abcde")
            payload[3:15] = fake[:12]
        records.append(bytes(payload))
        write_record(out, bytes(payload))
    data = bytes(out)
    assert _payloads(data) == records
    for cut in list(range(len(data) - 200, len(data))) + [rng.randrange(len(data)) for _ in range(30)]:
        assert _payloads(data[:cut]) == _walk(data[:cut]), cut


def test_damaged_headers_and_payloads_are_named() -> None:
    out = bytearray()
    offsets = []
    for i in range(50):
        offsets.append(len(out))
        write_record(out, f"record {i}".encode() * 3)
    bad_header = bytearray(out)
    bad_header[offsets[5] + 1] ^= 0x40  # a length byte of the sixth record
    with pytest.raises(RecordError, match=f"offset {offsets[5]} has a bad length checksum"):
        read_spans(bytes(bad_header))
    bad_payload = bytearray(out)
    bad_payload[offsets[10] + 20] ^= 0x01
    starts, lengths = read_spans(bytes(bad_payload))
    with pytest.raises(RecordError, match=f"offset {offsets[10]} has a bad data checksum"):
        verify_payloads(bytes(bad_payload), starts, lengths)


def _event(step: int, tag: str, value: float, wall: float = 1.7e9) -> bytes:
    v = summary_pb2.Summary.Value(tag=tag, simple_value=value)
    return event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[v])).SerializeToString()


def _mixed_events(rng: random.Random) -> list[bytes]:
    tags = ["loss", "a/b/c", "é/ü", "x" * 90, "y" * 120, ""]
    out = [event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString()]
    for i in range(3000):
        kind = rng.random()
        step = rng.choice([0, i, i * 1_000_003, 2**40 + i, 2**62])
        value = rng.choice([0.0, -0.0, 1.5, math.nan, math.inf, -math.inf, rng.random()])
        if kind < 0.75:
            out.append(_event(step, rng.choice(tags), value, 1.7e9 + rng.random() * 1e4))
        elif kind < 0.8:
            out.append(_event(-5, "neg", value))  # a 10-byte varint: not the fast layout
        elif kind < 0.85:  # two values in one summary
            vs = [summary_pb2.Summary.Value(tag=t, simple_value=1.0) for t in ("p", "q")]
            out.append(event_pb2.Event(wall_time=1.7e9, step=step, summary=summary_pb2.Summary(value=vs))
                       .SerializeToString())
        elif kind < 0.9:  # metadata
            v = summary_pb2.Summary.Value(tag="meta", simple_value=2.0)
            v.metadata.plugin_data.plugin_name = "scalars"
            out.append(event_pb2.Event(wall_time=1.7e9, step=step, summary=summary_pb2.Summary(value=[v]))
                       .SerializeToString())
        else:  # a TF2 tensor
            v = summary_pb2.Summary.Value(tag="t", tensor=tensor_util.make_tensor_proto(np.float32(value)))
            out.append(event_pb2.Event(wall_time=1.7e9, step=step, summary=summary_pb2.Summary(value=[v]))
                       .SerializeToString())
    return out


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def test_scalar_decoder_reads_what_protobuf_reads() -> None:
    events = _mixed_events(random.Random(3))
    out = bytearray()
    for e in events:
        write_record(out, e)
    data = bytes(out)
    starts, lengths = read_spans(data)
    scalars, rest = decode(np.frombuffer(data, np.uint8), starts, lengths)
    decoded = dict(zip(scalars.record.tolist(), range(len(scalars.record)), strict=True))
    for i, payload in enumerate(events):
        ev = event_pb2.Event.FromString(payload)
        simple = (ev.HasField("summary") and len(ev.summary.value) == 1
                  and ev.summary.value[0].WhichOneof("value") == "simple_value"
                  and not ev.summary.value[0].HasField("metadata") and 0 <= ev.step < 2**63 and len(payload) < 128
                  and ev.summary.value[0].tag != "")  # protobuf leaves an empty tag out: not the layout
        assert (i in decoded) == simple, (i, ev)
        assert rest[i] == (i not in decoded)
        if i in decoded:
            k = decoded[i]
            v = ev.summary.value[0]
            assert scalars.step[k] == ev.step and scalars.wall[k] == ev.wall_time
            assert _same(float(scalars.value[k]), v.simple_value) and scalars.tags[scalars.tag[k]] == v.tag


def test_a_damaged_scalar_record_is_refused() -> None:
    out = bytearray()
    for i in range(200):
        write_record(out, _event(i, "loss", i * 0.5))
    bad = bytearray(out)
    bad[100 * len(out) // 200 + 40] ^= 0x10  # inside the value of one record
    starts, lengths = read_spans(bytes(bad))
    with pytest.raises(RecordError, match="data checksum"):
        decode(np.frombuffer(bytes(bad), np.uint8), starts, lengths)


def test_import_merges_scalars_and_media_in_file_order(tmp_path: Path) -> None:
    """Two files: scalars at uneven rates, a tag logged twice at one step (the later file wins),
    images at some steps. The history equals the events merged one at a time."""
    from PIL import Image as PILImage

    rng = random.Random(11)
    files: list[list[bytes]] = [[], []]
    expect: dict[int, dict[str, Any]] = {}
    png = bytearray()
    import io

    buf = io.BytesIO()
    PILImage.new("RGB", (4, 4), (200, 10, 10)).save(buf, format="PNG")
    png = bytearray(buf.getvalue())
    for f in range(2):
        for step in range(0, 400):
            for tag, every in (("train/loss", 1), ("val/loss", 7), ("lr", 50)):
                if step % every == 0 and (f == 0 or step % 3 == 0):
                    value = rng.random() if step != 5 else math.nan
                    files[f].append(_event(step, tag, value, 1.7e9 + step + f))
                    expect.setdefault(step, {})[tag] = float(np.float32(value))
            if f == 1 and step % 40 == 0:
                img = summary_pb2.Summary.Image(height=4, width=4, colorspace=3, encoded_image_string=bytes(png))
                v = summary_pb2.Summary.Value(tag="sample", image=img)
                files[f].append(event_pb2.Event(wall_time=1.7e9, step=step, summary=summary_pb2.Summary(value=[v]))
                                .SerializeToString())
                expect[step]["sample"] = "image"
    run_dir = tmp_path / "logs" / "r"
    run_dir.mkdir(parents=True)
    for f, events in enumerate(files):
        out = bytearray()
        for e in events:
            write_record(out, e)
        (run_dir / f"events.out.tfevents.{f}.host").write_bytes(bytes(out))
    report = import_logdir(tmp_path / "logs", tmp_path / "out", project="merge")
    assert not report.errors and report.points == sum(len(r) - ("sample" in r) for r in expect.values())
    run = runyard.Api(root=tmp_path / "out").runs("merge")[0]
    rows = list(run.scan_history())
    assert [r["_step"] for r in rows] == sorted(expect)
    for r in rows:
        want = expect[r["_step"]]
        assert set(want) <= set(r), (r["_step"], r, want)
        for key, value in want.items():
            if key == "sample":
                assert r[key].to_pil().size == (4, 4)
            else:
                assert _same(r[key], value), (r["_step"], key, r[key], value)
