"""Reading media back (docs/media-refs.md): every ref kind becomes a view that reads its real file."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from runyard.types.array import ArrayFile
from runyard.types.audio import Audio
from runyard.types.base import MediaStore
from runyard.types.histogram import Histogram
from runyard.types.html import Html
from runyard.types.image import Image
from runyard.types.video import Video
from runyard.types.views import (
    ArrayView,
    AudioView,
    FileView,
    HistogramView,
    HtmlView,
    ImageView,
    TableView,
    VideoView,
    convert_refs,
    media_from_ref,
)


def test_image_view_reads_pixels_and_masks(tmp_path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    mask = np.zeros((6, 5), dtype=np.uint8)
    mask[2:4, 1:3] = 2
    ref = Image(pixels, caption="cap", masks={"pred": {"mask_data": mask, "class_labels": {2: "car"}}},
                boxes={"g": {"box_data": [{"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1},
                                           "class_id": 2}]}}).to_ref(MediaStore(tmp_path))
    view = media_from_ref(ref, tmp_path)
    assert isinstance(view, ImageView)
    assert view.path == (tmp_path / ref["path"]).absolute() and view.path.is_file()
    assert (view.width, view.height, view.mode, view.format, view.caption) == (5, 6, "RGB", "png", "cap")
    assert np.array_equal(view.to_numpy(), pixels)
    pil = view.to_pil()
    assert pil.size == (5, 6) and pil.mode == "RGB"
    assert view.masks["pred"].class_labels == {0: "class_0", 2: "car"}
    assert np.array_equal(view.masks["pred"].to_numpy(), mask)
    assert view.boxes["g"]["class_labels"] == {"2": "class_2"}


def test_jpeg_view(tmp_path: Path) -> None:
    ref = Image(np.full((4, 4, 3), 128, dtype=np.uint8), file_type="jpeg").to_ref(MediaStore(tmp_path))
    view = media_from_ref(ref, tmp_path)
    assert view.format == "jpeg" and view.to_pil().format == "JPEG"
    assert abs(int(view.to_numpy()[0, 0, 0]) - 128) <= 2


def test_download_copies_and_refuses_to_overwrite(tmp_path: Path) -> None:
    ref = Html("<b>x</b>", inject=False).to_ref(MediaStore(tmp_path / "run"))
    view = media_from_ref(ref, tmp_path / "run")
    assert isinstance(view, HtmlView) and view.html == "<b>x</b>"
    out = view.download(tmp_path / "out")
    assert out == tmp_path / "out" / ref["path"] and out.read_text() == "<b>x</b>"
    with pytest.raises(FileExistsError, match="replace=True"):
        view.download(tmp_path / "out")
    out.write_text("changed")
    assert view.download(tmp_path / "out", replace=True).read_text() == "<b>x</b>"


def test_audio_view_reads_samples(tmp_path: Path) -> None:
    samples = np.array([[0, 1], [100, -100], [32767, -32768]], dtype=np.int16)
    ref = Audio(samples, sample_rate=3, caption="c").to_ref(MediaStore(tmp_path))
    view = media_from_ref(ref, tmp_path)
    assert isinstance(view, AudioView)
    assert (view.sample_rate, view.duration, view.channels, view.caption) == (3, 1.0, 2, "c")
    assert np.array_equal(view.to_numpy(), samples)
    mono = media_from_ref(Audio(np.zeros(4), sample_rate=2).to_ref(MediaStore(tmp_path)), tmp_path)
    assert mono.to_numpy().shape == (4,)


def test_video_view(tmp_path: Path) -> None:
    ref = Video(np.zeros((3, 1, 4, 6), dtype=np.uint8), fps=2).to_ref(MediaStore(tmp_path))
    view = media_from_ref(ref, tmp_path)
    assert isinstance(view, VideoView)
    assert (view.format, view.fps, view.frames, view.width, view.height) == ("gif", 2, 3, 6, 4)
    assert view.read_bytes()[:6] == b"GIF89a"


def test_histogram_view(tmp_path: Path) -> None:
    ref = Histogram(np_histogram=([1, 2], [0.0, 0.5, 1.0])).to_ref(MediaStore(tmp_path))
    view = media_from_ref(ref, tmp_path)
    assert isinstance(view, HistogramView)
    assert (view.values, view.bins) == ([1.0, 2.0], [0.0, 0.5, 1.0])
    counts, edges = view.to_numpy()
    assert counts.tolist() == [1.0, 2.0] and edges.tolist() == [0.0, 0.5, 1.0]


def test_array_view(tmp_path: Path) -> None:
    arr = np.arange(12.0).reshape(3, 4)
    view = media_from_ref(ArrayFile(arr).to_ref(MediaStore(tmp_path)), tmp_path)
    assert isinstance(view, ArrayView)
    assert view.shape == (3, 4) and view.dtype == "float64" and view.stats["max"] == 11.0
    assert np.array_equal(view.to_numpy(), arr)


def table_file(tmp_path: Path, doc: dict[str, object]) -> dict[str, object]:
    store = MediaStore(tmp_path)
    return {"_type": "table-file", **store.put_bytes("table", json.dumps(doc).encode(), "table.json")}


def test_table_view_decodes_floats_and_media_cells(tmp_path: Path) -> None:
    image_ref = Image(np.zeros((2, 2), dtype=np.uint8)).to_ref(MediaStore(tmp_path))
    ref = table_file(tmp_path, {"columns": ["a", "b", "img"], "data": [
        [1, {"_type": "float", "value": "NaN"}, image_ref],
        [2, {"_type": "float", "value": "-Infinity"}, None],
        [3, {"_type": "float", "value": "Infinity"}, None],
    ]})
    view = media_from_ref(ref, tmp_path)
    assert isinstance(view, TableView) and len(view) == 3
    assert view.columns == ["a", "b", "img"]
    b = view.get_column("b")
    assert math.isnan(b[0]) and b[1:] == [-math.inf, math.inf]
    assert isinstance(view.data[0][2], ImageView) and view.data[0][2].to_numpy().shape == (2, 2)
    df = view.get_dataframe()
    assert list(df.columns) == ["a", "b", "img"] and df["a"].tolist() == [1, 2, 3]
    with pytest.raises(KeyError, match="no column 'z'"):
        view.get_column("z")


def test_table_from_the_table_class(tmp_path: Path) -> None:
    from runyard.types.table import Table

    table = Table(columns=["x", "y"], data=[[1, float("nan")], [2, 0.5]])
    view = media_from_ref(table.to_ref(MediaStore(tmp_path)), tmp_path)
    assert view.columns == ["x", "y"]
    assert view.data[0][0] == 1 and math.isnan(view.data[0][1]) and view.data[1] == [2, 0.5]


def test_inline_table_ref(tmp_path: Path) -> None:
    view = media_from_ref({"_type": "table", "columns": ["a"], "data": [[1], [2]]}, tmp_path)
    assert view.get_column("a") == [1, 2]
    with pytest.raises(ValueError, match="stored inline"):
        view.download(tmp_path)


def test_get_dataframe_without_pandas_names_the_extra(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    view = media_from_ref({"_type": "table", "columns": ["a"], "data": [[1]]}, tmp_path)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'runyard\[pandas\]'"):
        view.get_dataframe()


def test_to_pil_without_pillow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    view = media_from_ref(Image(np.zeros((2, 2))).to_ref(MediaStore(tmp_path)), tmp_path)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r"pip install 'runyard\[media\]'"):
        view.to_pil()


def test_unknown_kinds(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    ref = {"_type": "molecule-file", **store.put_bytes("molecule", b"ATOM", "pdb"), "format": "pdb"}
    view = media_from_ref(ref, tmp_path)
    assert type(view) is FileView and view.read_bytes() == b"ATOM" and view.kind == "molecule-file"
    chart = media_from_ref({"_type": "custom-chart", "spec": "x",
                            "table": {"_type": "table", "columns": ["a"], "data": []}}, tmp_path)
    assert chart["spec"] == "x" and isinstance(chart["table"], TableView)


def test_bad_paths_are_refused(tmp_path: Path) -> None:
    for bad in ("../secret.png", "/etc/passwd"):
        with pytest.raises(ValueError, match="bad path"):
            media_from_ref({"_type": "image-file", "path": bad}, tmp_path)


def test_convert_refs_walks_rows(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    img = Image(np.zeros((2, 2))).to_ref(store)
    hist = Histogram([1, 2, 3], num_bins=2).to_ref(store)
    row = {"_step": 3, "loss": 0.5, "name": "x", "imgs": [img, img],
           "nested": {"h": hist, "deep": [{"v": 1}]}, "none": None}
    out = convert_refs(row, str(tmp_path))
    assert out["_step"] == 3 and out["loss"] == 0.5 and out["none"] is None
    assert [type(v) for v in out["imgs"]] == [ImageView, ImageView]
    assert isinstance(out["nested"]["h"], HistogramView) and out["nested"]["deep"] == [{"v": 1}]
    assert out["imgs"][0] == out["imgs"][1]
    assert row["imgs"][0] is img  # the input is not modified


def test_media_modules_import_no_heavy_package() -> None:
    import subprocess

    code = (
        "import sys, runyard.types.image, runyard.types.audio, runyard.types.video, runyard.types.html, "
        "runyard.types.views; heavy = ('PIL', 'pandas', 'imageio', 'imageio_ffmpeg', 'soundfile', "
        "'matplotlib'); print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
