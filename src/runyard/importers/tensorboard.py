"""``runyard import tensorboard LOGDIR``: TensorBoard event files to runyard runs.

Every directory under LOGDIR that holds ``events.out.tfevents.*`` files becomes one run, named by
its path relative to LOGDIR. Events are parsed with TensorBoard's own protobuf classes (the
``import-tensorboard`` extra; tensorboardX's copy of them also works) and mapped:

- scalars (``simple_value``, or a ``scalars`` plugin tensor) → numbers in history;
- histograms (``HistogramProto`` or a ``histograms`` plugin tensor) → ``Histogram``;
- images (``Summary.Image`` or an ``images`` plugin tensor) → ``Image``; audio → ``Audio``;
- text (``text`` plugin) → strings; hparams (``hparams`` plugin session start) → config.

Values logged at one step by several events are merged into one row, rows are written in step
order, and each row keeps the latest wall time of its events. Anything else (PR curves, meshes,
graphs, ...) is counted as not mapped.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .report import ImportReport
from .scalar_events import Scalars, decode
from .sink import ImportedRun, project_name, run_exists
from .step_rows import Block, gather
from .tfrecord import RecordError, read_spans, verify_payloads

EVENT_GLOB = "events.out.tfevents.*"


def protos() -> tuple[Any, Any]:
    """The Event and HParams plugin message classes: TensorBoard's, or tensorboardX's copy."""
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.plugins.hparams import plugin_data_pb2
    except ImportError:
        try:
            from tensorboardX.proto import event_pb2
            from tensorboardX.proto import plugin_hparams_pb2 as plugin_data_pb2
        except ImportError:
            raise ImportError(
                "importing TensorBoard event files needs TensorBoard's protobuf classes: "
                "pip install 'runyard[import-tensorboard]'"
            ) from None
    return event_pb2.Event, plugin_data_pb2.HParamsPluginData


def find_runs(logdir: Path) -> list[Path]:
    """The directories under ``logdir`` (itself included) that hold event files."""
    dirs = {p.parent for p in logdir.rglob(EVENT_GLOB) if p.is_file()}
    return sorted(dirs)


def run_id_for(logdir: Path, run_dir: Path) -> str:
    """A stable id for a run directory, so importing the same logdir twice finds the same runs."""
    key = f"{logdir.resolve()}\0{run_dir.resolve().relative_to(logdir.resolve())}"
    return "tb" + hashlib.sha256(key.encode()).hexdigest()[:10]


class TagPlugins:
    """What ``decode_value`` learns from a stream of events: each tag's plugin (only the first
    event of a tag names it) and the hparams found (the run's config)."""

    def __init__(self) -> None:
        self.plugins: dict[str, str] = {}
        self.config: dict[str, Any] = {}


class _Run(TagPlugins):
    """Events of one run directory: scalars decoded in bulk (``scalar_events``), other values by
    step with the position of their event, so the two can be merged in file order."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, tuple[float, dict[str, tuple[int, Any]]]] = {}
        self.first_time: float | None = None
        self.tags: dict[str, int] = {}  # tag -> its index in the run's scalars
        self.scalars: list[Scalars] = []  # each file's, records numbered across files, tags the run's

    def put(self, step: int, wall_time: float, key: str, value: Any, seq: int) -> None:
        row = self.rows.get(step)
        if row is None:
            self.rows[step] = (wall_time, {key: (seq, value)})
        else:
            row[1][key] = (seq, value)
            if wall_time > row[0]:
                self.rows[step] = (wall_time, row[1])

    def seen(self, wall_time: float) -> None:
        if self.first_time is None or wall_time < self.first_time:
            self.first_time = wall_time

    def add_scalars(self, sc: Scalars, seq_base: int) -> None:
        ids = np.array([self.tags.setdefault(t, len(self.tags)) for t in sc.tags], np.int64)
        self.scalars.append(Scalars(sc.record + seq_base, sc.step, sc.wall, sc.value,
                                    ids[sc.tag] if len(ids) else sc.tag, []))
        if len(sc.wall):
            self.seen(float(sc.wall.min()))

    def blocks(self) -> tuple[list[Block], list[tuple[int, float, dict[str, Any]]]]:
        """The scalar blocks, and the other rows (scalars of their steps merged in) by step."""
        other = np.array(sorted(self.rows), np.int64)
        names = list(self.tags)
        blocks, loose = gather(Scalars.concat(self.scalars, names), other)
        for sq, st, w, v, t in zip(loose.record.tolist(), loose.step.tolist(), loose.wall.tolist(),
                                   loose.value.tolist(), loose.tag.tolist(), strict=True):
            wall, values = self.rows[st]
            if names[t] not in values or values[names[t]][0] < sq:
                values[names[t]] = (sq, v)
            if w > wall:
                self.rows[st] = (w, values)
        rows = [(st, self.rows[st][0], {k: v for k, (_, v) in self.rows[st][1].items()}) for st in other.tolist()]
        return blocks, rows


def _tensor_array(tensor: Any) -> Any:
    from tensorboard.util import tensor_util

    return tensor_util.make_ndarray(tensor)


def _histogram(lefts: Any, rights: Any, counts: Any) -> Any:
    """A ``Histogram`` of contiguous buckets. TensorBoard's default bucketing has hundreds of mostly
    empty buckets: empty ones at either end are trimmed, and past runyard's bin limit neighbouring
    buckets are merged (every count kept, the resolution coarser)."""
    import numpy as np

    from ..types.histogram import MAX_BINS, Histogram

    counts = np.asarray(counts, dtype=float)
    edges = np.concatenate([np.asarray(lefts[:1], dtype=float), np.asarray(rights, dtype=float)])
    nonzero = np.flatnonzero(counts)
    if len(nonzero):
        lo, hi = int(nonzero[0]), int(nonzero[-1]) + 1
        counts, edges = counts[lo:hi], edges[lo : hi + 1]
    if len(counts) > MAX_BINS:
        starts = np.arange(0, len(counts), -(-len(counts) // MAX_BINS))
        counts, edges = np.add.reduceat(counts, starts), np.append(edges[starts], edges[-1])
    return Histogram(np_histogram=(counts, edges))


def _histo_proto(h: Any) -> Any:
    """TensorBoard's HistogramProto: bucket i spans (limit[i-1], limit[i]]; the first starts at min."""
    limits = list(h.bucket_limit)
    counts = list(h.bucket)
    if not limits:
        return None
    lefts = [h.min] + limits[:-1]
    rights = limits[:-1] + [max(h.max, lefts[-1])]
    return _histogram(lefts, rights, counts)


def _image(encoded: bytes) -> Any:
    from ..types.image import Image

    return Image(io.BytesIO(encoded))


def _audio(encoded: bytes) -> Any:
    from ..types.audio import Audio

    return Audio(io.BytesIO(encoded))


def decode_value(run: TagPlugins, v: Any, report: ImportReport, hparams_cls: Any) -> Any:
    """The runyard value of one ``Summary.Value``, or None (counted as not mapped, or config)."""
    kind = v.WhichOneof("value")
    if v.HasField("metadata") and v.metadata.plugin_data.plugin_name:
        run.plugins[v.tag] = v.metadata.plugin_data.plugin_name
    plugin = run.plugins.get(v.tag, "")
    if kind == "simple_value":
        return float(v.simple_value)
    if kind == "histo":
        return _histo_proto(v.histo)
    if kind == "image":
        return _image(v.image.encoded_image_string)
    if kind == "audio":
        return _audio(v.audio.encoded_audio_string)
    if plugin == "hparams":
        data = hparams_cls.FromString(v.metadata.plugin_data.content)
        if data.HasField("session_start_info"):
            for name, hv in data.session_start_info.hparams.items():
                which = hv.WhichOneof("kind")
                run.config[name] = getattr(hv, which) if which != "struct_value" else str(hv.struct_value)
        return None
    if kind == "tensor":
        if plugin in ("scalars", ""):
            a = _tensor_array(v.tensor)
            if a.size == 1 and a.dtype.kind in "fiub":
                return float(a.reshape(-1)[0])
        elif plugin == "histograms":
            a = _tensor_array(v.tensor)
            if a.ndim == 2 and a.shape[1] == 3:
                return _histogram(a[:, 0], a[:, 1], a[:, 2]) if len(a) else None
        elif plugin == "images":
            items = list(v.tensor.string_val)[2:]  # width, height, then one encoded image each
            images = [_image(b) for b in items]
            return images[0] if len(images) == 1 else images or None
        elif plugin == "audio":
            items = list(v.tensor.string_val)
            clips = [_audio(b) for b in items if b]
            return clips[0] if len(clips) == 1 else clips or None
        elif plugin == "text":
            a = _tensor_array(v.tensor)
            texts = [t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t) for t in a.reshape(-1)]
            return texts[0] if len(texts) == 1 else "\n".join(texts)
    report.not_mapped(f"tensorboard {plugin or kind or 'empty'} values")
    return None


def read_run(run_dir: Path, report: ImportReport) -> _Run:
    """Every event file of one run directory, in file-name (creation) order."""
    event_cls, hparams_cls = protos()
    parse = event_cls.FromString
    run = _Run()
    seq_base = 0
    for path in sorted(run_dir.glob(EVENT_GLOB)):
        data = path.read_bytes()
        try:
            starts, lengths = read_spans(data)
            scalars, rest = decode(np.frombuffer(data, np.uint8), starts, lengths)
            others = np.flatnonzero(rest)
            verify_payloads(data, starts[others], lengths[others])
        except RecordError as e:
            raise RecordError(f"{path.name}: {e}") from None
        run.add_scalars(scalars, seq_base)
        for i, start, length in zip(others.tolist(), starts[others].tolist(), lengths[others].tolist(), strict=True):
            ev = parse(data[start : start + length])
            run.seen(ev.wall_time)
            if not ev.HasField("summary"):
                continue
            step, wall = int(ev.step), float(ev.wall_time)
            for v in ev.summary.value:
                try:
                    value = decode_value(run, v, report, hparams_cls)
                except Exception as e:  # one damaged value must not stop the run's import
                    report.not_mapped(f"tensorboard values that failed to decode ({type(e).__name__})")
                    continue
                if value is not None:
                    run.put(step, wall, v.tag, value, seq_base + i)
        seq_base += len(starts)
    return run


def import_logdir(
    logdir: str | Path,
    root: str | Path,
    project: str | None = None,
    force: bool = False,
    report: ImportReport | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import every run under ``logdir`` into the runyard folder ``root``."""
    logdir = Path(logdir)
    if not logdir.is_dir():
        raise FileNotFoundError(f"no such TensorBoard log directory: {logdir}")
    report = report or ImportReport()
    project = project or project_name(logdir.resolve().name, "tensorboard")
    runs = find_runs(logdir)
    if not runs:
        raise FileNotFoundError(f"{logdir} holds no TensorBoard event files ({EVENT_GLOB})")
    for run_dir in runs:
        rid = run_id_for(logdir, run_dir)
        if run_exists(Path(root), project, rid) and not force:
            report.skip(Path(root) / project / rid)
            continue
        try:
            data = read_run(run_dir, report)
        except (RecordError, OSError, ValueError) as e:  # one damaged run must not stop the others
            report.errors.append(f"{run_dir}: {e}; that run was not imported")
            continue
        rel = run_dir.resolve().relative_to(logdir.resolve()).as_posix()
        name = logdir.resolve().name if rel == "." else rel
        blocks, rows = data.blocks()
        start = data.first_time
        if start is None:
            start = min([r[1] for r in rows] + [float(b.walls.min()) for b in blocks], default=0.0)
        items: list[tuple[int, Block | tuple[int, float, dict[str, Any]]]] = (
            [(int(b.steps[0]), b) for b in blocks] + [(r[0], r) for r in rows])
        items.sort(key=lambda item: item[0])
        with ImportedRun(root, project, rid, report=report, name=name, created_at=start, config=data.config,
                         metadata={"source": "tensorboard", "source_path": str(run_dir.resolve())}) as out:
            for first_step, item in items:
                if first_step < 0:
                    report.not_mapped("tensorboard rows with a negative step")
                    continue
                if isinstance(item, Block):
                    out.rows(item.steps, item.walls, item.keys, item.values)
                    points = item.values.size
                else:
                    out.row(*item)
                    points = len(item[2])
                if progress is not None:
                    progress(points)
            out.end()
    return report
