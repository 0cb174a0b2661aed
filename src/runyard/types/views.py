"""Reading logged media back: typed references (``docs/media-refs.md``) → user-facing objects.

``Api().run(...).history()``/``scan_history()`` pass every row through ``convert_refs``, which
turns each dict carrying a ``"_type"`` into a view: images, audio, video, HTML, tables, arrays and
histograms get their own class; any other ref with a ``"path"`` becomes a ``FileView``; a ref of
an unknown kind without a file is handed back as a dict (its nested refs converted).

Every file view has ``.ref`` (the stored reference), ``.path`` (the absolute local path) and
``.download(root=".", replace=False)``. Views read their file only when asked; Pillow and pandas
are imported only by the methods that need them.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import jsonvalue
from ._optional import import_optional

PANDAS_EXTRA = "pip install 'runyard[pandas]'"


class FileView:
    """A logged file: ``.ref``, ``.path`` (absolute), ``.download()``, ``.read_bytes()``."""

    def __init__(self, ref: dict[str, Any], run_dir: str | os.PathLike[str]) -> None:
        self.ref = ref
        root = Path(run_dir).absolute()
        rel = str(ref.get("path", ""))
        if not rel or os.path.isabs(rel) or ".." in Path(rel).parts:
            raise ValueError(f"media reference of kind {ref.get('_type')!r} has a bad path {rel!r}")
        self.path: Path = root / rel
        self.caption: str | None = ref.get("caption")

    @property
    def kind(self) -> str:
        return str(self.ref.get("_type", ""))

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int | None:
        size = self.ref.get("size")
        return int(size) if size is not None else None

    @property
    def sha256(self) -> str | None:
        return self.ref.get("sha256")

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def download(self, root: str | os.PathLike[str] = ".", replace: bool = False) -> Path:
        """Copy the file to ``root/<its path in the run>`` and return where it went.

        An existing file there is an error unless ``replace=True``.
        """
        target = Path(root) / str(self.ref["path"])
        if target.exists() and not replace:
            raise FileExistsError(f"{target} already exists; pass replace=True to overwrite it")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, target)
        return target

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and isinstance(other, FileView) and (
            other.ref == self.ref and other.path == self.path
        )

    def __hash__(self) -> int:
        return hash((type(self), self.path))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ref.get('path')}>"


class MaskView(FileView):
    """One segmentation mask of an image: ``.class_labels`` ({int: str}) and ``.to_numpy()``."""

    def __init__(self, ref: dict[str, Any], run_dir: str | os.PathLike[str]) -> None:
        super().__init__(ref, run_dir)
        self.class_labels = {int(k): str(v) for k, v in (ref.get("class_labels") or {}).items()}

    def to_numpy(self) -> np.ndarray:
        """The class id of every pixel, (height, width)."""
        pixels: np.ndarray = _open_pil(self.path, np.asarray)
        return pixels


class ImageView(FileView):
    """A logged image: ``.width``, ``.height``, ``.mode``, ``.format``, ``.masks``, ``.boxes``,
    ``.to_pil()`` and ``.to_numpy()`` (both need Pillow)."""

    def __init__(self, ref: dict[str, Any], run_dir: str | os.PathLike[str]) -> None:
        super().__init__(ref, run_dir)
        self.width: int | None = ref.get("width")
        self.height: int | None = ref.get("height")
        self.mode: str | None = ref.get("mode")
        self.format: str | None = ref.get("format")
        self.masks = {name: MaskView(m, run_dir) for name, m in (ref.get("masks") or {}).items()}
        self.boxes: dict[str, Any] = ref.get("boxes") or {}

    def to_pil(self) -> Any:
        """The image as a ``PIL.Image.Image`` (fully loaded, ``.format`` kept; no file left open)."""
        return _open_pil(self.path, _loaded_copy)

    def to_numpy(self) -> np.ndarray:
        """The pixels: (height, width) for grey, (height, width, channels) otherwise."""
        pixels: np.ndarray = _open_pil(self.path, np.asarray)
        return pixels


class AudioView(FileView):
    """A logged clip: ``.sample_rate``, ``.duration`` (s), ``.channels``, ``.to_numpy()``."""

    def __init__(self, ref: dict[str, Any], run_dir: str | os.PathLike[str]) -> None:
        super().__init__(ref, run_dir)
        self.sample_rate: int | None = ref.get("sample_rate")
        self.duration: float | None = ref.get("duration")
        self.channels: int | None = ref.get("channels")

    def to_numpy(self) -> np.ndarray:
        """The 16-bit samples as int16, (n,) for mono or (n, channels)."""
        with wave.open(str(self.path), "rb") as w:
            channels, width = w.getnchannels(), w.getsampwidth()
            raw = w.readframes(w.getnframes())
        if width != 2:
            raise ValueError(f"{self.path}: expected 16-bit samples, the file has {8 * width}-bit")
        samples = np.frombuffer(raw, dtype="<i2").astype(np.int16)
        return samples if channels == 1 else samples.reshape(-1, channels)


class VideoView(FileView):
    """A logged video: ``.format``, ``.fps``, ``.frames``, ``.width``, ``.height``."""

    def __init__(self, ref: dict[str, Any], run_dir: str | os.PathLike[str]) -> None:
        super().__init__(ref, run_dir)
        self.format: str | None = ref.get("format")
        self.fps: float | None = ref.get("fps")
        self.frames: int | None = ref.get("frames")
        self.width: int | None = ref.get("width")
        self.height: int | None = ref.get("height")


class HtmlView(FileView):
    """A logged HTML page: ``.html`` is its text."""

    @property
    def html(self) -> str:
        return self.path.read_text("utf-8")


class ArrayView(FileView):
    """An array stored whole (docs/media-refs.md, ``array``): ``.shape``, ``.dtype``, statistics, ``.to_numpy()``."""

    def __init__(self, ref: dict[str, Any], run_dir: str | os.PathLike[str]) -> None:
        super().__init__(ref, run_dir)
        self.shape = tuple(ref.get("shape") or ())
        self.dtype: str | None = ref.get("dtype")
        self.stats = {k: ref[k] for k in ("min", "max", "mean", "var", "percentiles") if k in ref}

    def to_numpy(self) -> np.ndarray:
        loaded: np.ndarray = np.load(self.path, allow_pickle=False)
        return loaded


class TableView:
    """A logged table: ``.columns``, ``.data`` (rows, media cells as views), ``.get_dataframe()``.

    The table file is read on first use. Works for file-backed refs (``path``) and for refs that
    carry ``columns``/``data`` inline.
    """

    def __init__(self, ref: dict[str, Any], run_dir: str | os.PathLike[str]) -> None:
        self.ref = ref
        self.run_dir = Path(run_dir)
        self._file = FileView(ref, run_dir) if ref.get("path") else None
        self.path: Path | None = self._file.path if self._file else None
        self._columns: list[str] | None = None
        self._data: list[list[Any]] | None = None

    def _loaded(self) -> tuple[list[str], list[list[Any]]]:
        """``(columns, data)``, reading the table the first time."""
        if self._columns is None or self._data is None:
            doc = json.loads(self._file.path.read_text("utf-8")) if self._file else self.ref
            self._columns = [str(c) for c in doc.get("columns") or []]
            self._data = [[convert_refs(jsonvalue.decode(cell), self.run_dir) for cell in row]
                          for row in doc.get("data") or []]
        return self._columns, self._data

    @property
    def columns(self) -> list[str]:
        return self._loaded()[0]

    @property
    def data(self) -> list[list[Any]]:
        return self._loaded()[1]

    def __len__(self) -> int:
        return len(self.data)

    def get_column(self, name: str) -> list[Any]:
        """The values of one column, top to bottom."""
        if name not in self.columns:
            raise KeyError(f"the table has no column {name!r}; its columns are {self.columns}")
        i = self.columns.index(name)
        return [row[i] for row in self.data]

    def get_dataframe(self) -> Any:
        """The table as a ``pandas.DataFrame`` (media cells are views)."""
        pd = import_optional("pandas", "Table.get_dataframe()", extra=PANDAS_EXTRA)
        return pd.DataFrame(self.data, columns=self.columns)

    def download(self, root: str | os.PathLike[str] = ".", replace: bool = False) -> Path:
        if self._file is None:
            raise ValueError("this table was stored inline, not as a file; use .data or .get_dataframe()")
        return self._file.download(root, replace)

    def __repr__(self) -> str:
        return f"<TableView {self.ref.get('path') or 'inline'}>"


class HistogramView:
    """A logged histogram: ``.values`` (counts), ``.bins`` (edges, one more than values)."""

    def __init__(self, ref: dict[str, Any], run_dir: str | os.PathLike[str] | None = None) -> None:
        self.ref = ref
        self.values: list[float] = list(ref.get("values") or [])
        self.bins: list[float] = list(ref.get("bins") or [])

    def to_numpy(self) -> tuple[np.ndarray, np.ndarray]:
        """``(counts, bin_edges)`` as ``numpy.histogram`` returns them."""
        return np.asarray(self.values), np.asarray(self.bins)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HistogramView) and other.ref == self.ref

    def __hash__(self) -> int:
        return hash((tuple(self.values), tuple(self.bins)))

    def __repr__(self) -> str:
        return f"<HistogramView {len(self.values)} bins>"


def _open_pil(path: Path, use: Callable[[Any], Any]) -> Any:
    pil = import_optional("PIL.Image", "reading an image back")
    with pil.open(path) as im:
        im.load()
        return use(im)


def _loaded_copy(im: Any) -> Any:
    copy = im.copy()
    copy.format = im.format
    return copy


def _float(ref: dict[str, Any], run_dir: Path) -> float:
    """A non-finite float in a table file written before ``runyard.jsonvalue``'s tags."""
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(
        str(ref.get("value")), math.nan
    )


View = Callable[[dict[str, Any], Path], Any]
VIEWS: dict[str, View] = {
    "image-file": ImageView,
    "audio-file": AudioView,
    "video-file": VideoView,
    "html-file": HtmlView,
    "array": ArrayView,
    "histogram": HistogramView,
    "table": TableView,
    "table-file": TableView,
    "float": _float,
}


def register_view(kind: str, view: View) -> None:
    """Make ``media_from_ref`` turn refs of ``kind`` into ``view(ref, run_dir)``."""
    VIEWS[kind] = view


def media_from_ref(ref: dict[str, Any], run_dir: str | os.PathLike[str]) -> Any:
    """The user-facing object for one typed reference (see the module docstring)."""
    root = Path(run_dir)
    view = VIEWS.get(str(ref.get("_type")))
    if view is not None:
        return view(ref, root)
    if isinstance(ref.get("path"), str):
        return FileView(ref, root)
    return {k: convert_refs(v, root) for k, v in ref.items()}


_SCALARS = (int, float, str, bool, type(None))


def convert_refs(value: Any, run_dir: str | os.PathLike[str]) -> Any:
    """``value`` (a row, a list, a scalar) with every dict holding ``"_type"`` turned into its view."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        if "_type" in value:
            return media_from_ref(value, run_dir)
        return {k: convert_refs(v, run_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [convert_refs(v, run_dir) for v in value]
    return value
