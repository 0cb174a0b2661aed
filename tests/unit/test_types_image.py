"""Image (docs/media-refs.md, image-file): real PNG/JPEG files read back with Pillow, and every bad input's message."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

from runyard.errors import RunyardWarning
from runyard.types.base import MediaStore
from runyard.types.image import Image, check_image_count


def stored(tmp_path: Path, img: Image) -> tuple[dict[str, Any], PILImage.Image]:
    ref = img.to_ref(MediaStore(tmp_path))
    path = tmp_path / ref["path"]
    assert path.is_file() and path.stat().st_size == ref["size"]
    return ref, open_image(path)


def open_image(path: Path) -> PILImage.Image:
    """Open and fully read an image file (closing it), keeping its format."""
    with PILImage.open(path) as im:
        im.load()
        copy = im.copy()
        copy.format = im.format
        return copy


@pytest.mark.parametrize(
    ("shape", "mode"),
    [((8, 6), "L"), ((8, 6, 1), "L"), ((8, 6, 3), "RGB"), ((8, 6, 4), "RGBA"),
     ((3, 8, 6), "RGB"), ((1, 8, 6), "L"), ((4, 8, 6), "RGBA")],
)
def test_array_shapes_give_mode_and_size(tmp_path: Path, shape: tuple[int, ...], mode: str) -> None:
    arr = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    ref, im = stored(tmp_path, Image(arr))
    assert (im.format, im.mode, im.size) == ("PNG", mode, (6, 8))
    assert ref["_type"] == "image-file" and ref["format"] == "png"
    assert (ref["width"], ref["height"], ref["mode"]) == (6, 8, mode)
    assert ref["path"] == f"media/image/{ref['sha256']}.png"
    expected = arr.transpose(1, 2, 0) if shape[0] in (1, 3, 4) and shape[-1] not in (1, 3, 4) else arr
    assert np.array_equal(np.asarray(im), expected.reshape(np.asarray(im).shape))


def test_pixels_are_exact_for_large_noisy_and_smooth_images(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    noisy = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:256, 0:256]
    smooth = np.stack([xx, yy, (xx + yy) // 2], -1).astype(np.uint8)
    for arr in (noisy, smooth):
        _, im = stored(tmp_path, Image(arr))
        assert np.array_equal(np.asarray(im), arr)


def test_float_in_unit_range_scales_by_255(tmp_path: Path) -> None:
    arr = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    _, im = stored(tmp_path, Image(arr))
    assert np.asarray(im).tolist() == [[0, 127, 255]]  # rounded down, as wandb's


def test_float_in_minus_one_to_one_maps_to_0_255_and_normalize_false_only_clips(tmp_path: Path) -> None:
    arr = np.array([[-1.0, -0.2, 0.6, 1.0]])
    _, im = stored(tmp_path, Image(arr))
    assert np.asarray(im).tolist() == [[0, 102, 204, 255]]
    assert Image(arr).to_data_array() == [[0, 102, 204, 255]]
    _, im = stored(tmp_path, Image(arr, normalize=False))
    assert np.asarray(im).tolist() == [[0, 0, 0, 1]]


def test_image_from_image_equality_format_and_captions() -> None:
    a = Image(np.arange(12, dtype=np.uint8).reshape(2, 2, 3), caption="a")
    b = Image(a)
    assert b == a and b.caption == "a" and b.to_data_array() == [[(0, 1, 2), (3, 4, 5)], [(6, 7, 8), (9, 10, 11)]]
    assert Image(a, caption="other") != a
    assert Image(np.zeros((2, 2)), file_type="jpg").format == "jpg" and a.format == "png"
    assert Image.all_captions([a, Image(np.zeros((2, 2)))]) == ["a", None]
    assert Image.all_captions([Image(np.zeros((2, 2)))]) is False


def test_float_outside_unit_range_is_clipped_and_nan_is_zero(tmp_path: Path) -> None:
    arr = np.array([[-5.0, 2.0, 300.0, np.nan, np.inf]])
    _, im = stored(tmp_path, Image(arr))
    assert np.asarray(im).tolist() == [[0, 2, 255, 0, 255]]


def test_wide_ints_are_clipped_and_bools_become_0_255(tmp_path: Path) -> None:
    _, im = stored(tmp_path, Image(np.array([[-3, 7, 1000]], dtype=np.int64)))
    assert np.asarray(im).tolist() == [[0, 7, 255]]
    _, im = stored(tmp_path, Image(np.array([[True, False]])))
    assert np.asarray(im).tolist() == [[255, 0]]


def test_constructor_copies_the_array(tmp_path: Path) -> None:
    arr = np.zeros((4, 4), dtype=np.uint8)
    img = Image(arr)
    arr[:] = 200
    _, im = stored(tmp_path, img)
    assert np.asarray(im).max() == 0


def test_mode_i16_keeps_16_bit_grey(tmp_path: Path) -> None:
    arr = np.array([[0, 1000, 65535]], dtype=np.uint16)
    ref, im = stored(tmp_path, Image(arr, mode="I;16"))
    assert ref["mode"] == "I;16" and im.mode.startswith("I")
    assert np.asarray(im).astype(int).tolist() == [[0, 1000, 65535]]


def test_mode_conversion_through_pillow(tmp_path: Path) -> None:
    arr = np.zeros((4, 5, 3), dtype=np.uint8)
    ref, im = stored(tmp_path, Image(arr, mode="L"))
    assert im.mode == "L" and ref["mode"] == "L"


def test_same_image_twice_is_stored_once(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    arr = np.full((5, 5, 3), 7, dtype=np.uint8)
    a, b = Image(arr).to_ref(store), Image(arr).to_ref(store)
    assert a["path"] == b["path"]
    assert len(list((tmp_path / "media" / "image").iterdir())) == 1


def test_pil_image_is_stored_as_png(tmp_path: Path) -> None:
    pil = PILImage.new("RGB", (7, 3), (10, 20, 30))
    img = Image(pil, caption="a pil")
    pil.paste((0, 0, 0), (0, 0, 7, 3))  # the caller's image changes after the call
    ref, im = stored(tmp_path, img)
    assert (im.format, im.mode, im.size, ref["caption"]) == ("PNG", "RGB", (7, 3), "a pil")
    assert im.getpixel((0, 0)) == (10, 20, 30)


def test_pil_palette_and_cmyk_images(tmp_path: Path) -> None:
    ref, im = stored(tmp_path, Image(PILImage.new("P", (4, 4))))
    assert im.mode == "P" and ref["mode"] == "P"
    ref, im = stored(tmp_path, Image(PILImage.new("CMYK", (4, 4))))
    assert im.mode == "RGB" and ref["mode"] == "RGB"


def test_jpeg_path_is_kept_byte_for_byte(tmp_path: Path) -> None:
    src = tmp_path / "myimage.jpg"
    PILImage.fromarray(np.random.default_rng(2).integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(src)
    img = Image(str(src))
    src.write_bytes(b"overwritten")  # the file is read at construction
    ref, im = stored(tmp_path / "run", img)
    assert ref["format"] == "jpeg" and ref["path"].endswith(".jpg") and im.format == "JPEG"
    assert (ref["width"], ref["height"]) == (30, 20)
    assert (tmp_path / "run" / ref["path"]).read_bytes()[:2] == b"\xff\xd8"


def test_jpeg_path_with_another_mode_stays_jpeg(tmp_path: Path) -> None:
    src = tmp_path / "c.jpg"
    PILImage.new("RGB", (8, 8), (200, 100, 50)).save(src)
    ref, im = stored(tmp_path / "run", Image(src, mode="L"))
    assert (ref["format"], ref["mode"], im.format, im.mode) == ("jpeg", "L", "JPEG", "L")


def test_png_path_is_kept_byte_for_byte(tmp_path: Path) -> None:
    src = tmp_path / "x.png"
    PILImage.new("RGBA", (3, 2), (1, 2, 3, 4)).save(src)
    ref, im = stored(tmp_path / "run", Image(src))
    assert (tmp_path / "run" / ref["path"]).read_bytes() == src.read_bytes()
    assert (ref["mode"], ref["format"]) == ("RGBA", "png")


def test_other_formats_are_converted_to_png(tmp_path: Path) -> None:
    src = tmp_path / "x.bmp"
    PILImage.new("RGB", (3, 2), (9, 9, 9)).save(src)
    ref, im = stored(tmp_path / "run", Image(str(src)))
    assert im.format == "PNG" and ref["format"] == "png" and im.getpixel((0, 0)) == (9, 9, 9)


def test_binary_file_object(tmp_path: Path) -> None:
    buf = io.BytesIO()
    PILImage.new("L", (2, 2), 5).save(buf, format="PNG")
    buf.seek(0)
    ref, im = stored(tmp_path, Image(buf))
    assert im.size == (2, 2)


def test_file_type_jpeg_encodes_arrays_as_jpeg(tmp_path: Path) -> None:
    ref, im = stored(tmp_path, Image(np.zeros((8, 8, 3), dtype=np.uint8), file_type="jpg"))
    assert ref["format"] == "jpeg" and im.format == "JPEG"


def test_matplotlib_figure_is_rendered_to_png(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([1, 2, 3])
    img = Image(fig)
    plt.close(fig)
    ref, im = stored(tmp_path, img)
    assert im.format == "PNG" and im.size == (100, 50) and ref["format"] == "png"


def test_masks_are_png_files_with_default_labels(tmp_path: Path) -> None:
    mask = np.zeros((4, 6), dtype=np.int64)
    mask[1, 2], mask[2, 3] = 1, 3
    img = Image(np.zeros((4, 6, 3), dtype=np.uint8),
                masks={"pred": {"mask_data": mask, "class_labels": {1: "tree", 2: "car"}}})
    mask[:] = 0  # copied at construction
    ref = img.to_ref(MediaStore(tmp_path))
    m = ref["masks"]["pred"]
    assert m["class_labels"] == {"0": "class_0", "1": "tree", "2": "car", "3": "class_3"}
    saved = open_image(tmp_path / m["path"])
    assert saved.format == "PNG" and saved.mode == "L" and saved.size == (6, 4)
    assert np.asarray(saved)[1, 2] == 1 and np.asarray(saved)[2, 3] == 3
    assert m["path"].startswith("media/image-mask/")


def test_mask_with_large_ids_is_16_bit(tmp_path: Path) -> None:
    mask = np.array([[0, 300]], dtype=np.int32)
    ref = Image(np.zeros((1, 2)), masks={"m": {"mask_data": mask}}).to_ref(MediaStore(tmp_path))
    saved = open_image(tmp_path / ref["masks"]["m"]["path"])
    assert np.asarray(saved).astype(int).tolist() == [[0, 300]]


def test_boxes_both_forms_are_resolved(tmp_path: Path) -> None:
    boxes = {"predictions": {
        "box_data": [
            {"position": {"minX": 0.1, "maxX": 0.2, "minY": 0.3, "maxY": 0.4}, "class_id": 2,
             "box_caption": "minMax", "scores": {"acc": 0.1, "loss": 1.2}},
            {"position": {"middle": [5, 4], "width": 4, "height": 2}, "domain": "pixel", "class_id": 7},
        ],
        "class_labels": {2: "road"},
    }}
    ref = Image(np.zeros((10, 20, 3), dtype=np.uint8), boxes=boxes).to_ref(MediaStore(tmp_path))
    group = ref["boxes"]["predictions"]
    assert group["class_labels"] == {"2": "road", "7": "class_7"}
    a, b = group["box_data"]
    assert a == {"position": {"minX": 0.1, "maxX": 0.2, "minY": 0.3, "maxY": 0.4}, "domain": "fraction",
                 "class_id": 2, "box_caption": "minMax", "scores": {"acc": 0.1, "loss": 1.2}}
    assert b == {"position": {"minX": 3.0, "maxX": 7.0, "minY": 3.0, "maxY": 5.0}, "domain": "pixel",
                 "class_id": 7}


def test_caption_grouping_and_classes_in_ref(tmp_path: Path) -> None:
    ref = Image(np.zeros((2, 2)), caption=3, grouping=1, classes=[{"id": 1, "name": "a"}]).to_ref(
        MediaStore(tmp_path))
    assert (ref["caption"], ref["grouping"], ref["classes"]) == ("3", 1, [{"id": 1, "name": "a"}])
    assert "caption" not in Image(np.zeros((2, 2))).to_ref(MediaStore(tmp_path))


def test_check_image_count_warns_over_50() -> None:
    check_image_count(50)
    with pytest.warns(RunyardWarning, match="51 images"):
        check_image_count(51)


# -- bad inputs: each names the problem -------------------------------------------------------------

IMG = np.zeros((10, 20, 3), dtype=np.uint8)


def box(position: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"g": {"box_data": [{"position": position, "class_id": 1, **extra}]}}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"data_or_path": np.zeros((2, 3, 5, 5))}, ValueError, r"shape \(2, 3, 5, 5\) is not an image"),
        ({"data_or_path": np.zeros((5, 6, 2))}, ValueError, r"shape \(5, 6, 2\).*C = 1 \(grey\), 3"),
        ({"data_or_path": np.zeros((0, 6))}, ValueError, "no pixels"),
        ({"data_or_path": np.array([["a"]])}, TypeError, "dtype must be numeric.*<U1"),
        ({"data_or_path": np.zeros((2, 2), dtype=complex)}, TypeError, "complex128"),
        ({"data_or_path": object()}, TypeError, "cannot make an image from object"),
        ({"data_or_path": "/no/such/file.png"}, FileNotFoundError, "no such image file.*/no/such/file.png"),
        ({"data_or_path": IMG, "mode": "XYZ"}, ValueError, "unknown mode 'XYZ'"),
        ({"data_or_path": IMG, "file_type": "gif"}, ValueError, "file_type must be 'png' or 'jpeg'.*'gif'"),
        ({"data_or_path": np.zeros((2, 2, 4)), "file_type": "jpeg", "mode": "RGBA"}, ValueError,
         "cannot store mode 'RGBA'"),
        ({"data_or_path": IMG, "mode": "I;16"}, ValueError, "'I;16'.*needs a 2-D array"),
        ({"data_or_path": IMG, "grouping": "x"}, TypeError, "grouping must be an int"),
        ({"data_or_path": IMG, "classes": [{"id": "a"}]}, ValueError, "classes entry must be"),
    ],
)
def test_bad_image_inputs(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Image(**kwargs)


def test_text_mode_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_text("x")
    with open(tmp_path / "a.png") as f, pytest.raises(TypeError, match="text mode.*'rb'"):
        Image(f)


def test_unreadable_image_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="not an image Pillow can read"):
        Image(tmp_path / "a.jpg")


@pytest.mark.parametrize(
    ("masks", "error", "message"),
    [
        ([1], TypeError, "masks must be a dict"),
        ({"m": np.zeros((10, 20))}, TypeError, r"masks\['m'\] must be a dict"),
        ({"m": {"class_labels": {}}}, ValueError, r"masks\['m'\] is missing 'mask_data'"),
        ({"m": {"mask_data": np.zeros((10, 20), dtype=np.float32)}}, TypeError, "integer class ids.*float32"),
        ({"m": {"mask_data": np.zeros((10,), dtype=np.uint8)}}, ValueError, r"must be 2-D.*\(10,\)"),
        ({"m": {"mask_data": np.full((10, 20), -1)}}, ValueError, "class ids must be in 0..65535.*-1"),
        ({"m": {"mask_data": np.zeros((10, 20), dtype=np.uint8), "class_labels": {"a": "x"}}}, TypeError,
         "class_labels keys must be int"),
        ({"m": {"mask_data": np.zeros((10, 20), dtype=np.uint8), "class_labels": {1: 2}}}, TypeError,
         r"class_labels\[1\] must be a str"),
        ({"m": {"mask_data": "abc"}}, TypeError, r"\['mask_data'\] must be a 2-D integer array"),
    ],
)
def test_bad_masks(masks: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Image(IMG, masks=masks)


@pytest.mark.parametrize(
    ("boxes", "error", "message"),
    [
        ([1], TypeError, "boxes must be a dict"),
        ({"g": {"class_labels": {}}}, ValueError, r"boxes\['g'\] is missing 'box_data'"),
        ({"g": {"box_data": "x"}}, TypeError, "must be a list of box dicts"),
        ({"g": {"box_data": [1]}}, TypeError, r"\['box_data'\]\[0\] must be a dict"),
        ({"g": {"box_data": [{"class_id": 1}]}}, ValueError, r"\['box_data'\]\[0\] is missing 'position'"),
        ({"g": {"box_data": [{"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1}}]}}, ValueError,
         "is missing 'class_id'"),
        (box({"minX": 0.1, "maxX": 0.2, "minY": 0.3}), ValueError, "missing maxY.*or middle, width, height"),
        (box({"middle": [0.5], "width": 0.1, "height": 0.1}), ValueError, r"\['middle'\] must be \[x, y\]"),
        (box({"middle": [0.5, 0.5], "width": -0.1, "height": 0.1}), ValueError, "must not be negative"),
        (box({"minX": 0.5, "maxX": 0.2, "minY": 0.1, "maxY": 0.2}), ValueError,
         "inverted: minX=0.5, maxX=0.2"),
        (box({"minX": 0.1, "maxX": 0.2, "minY": 0.4, "maxY": 0.3}), ValueError, "inverted"),
        (box({"minX": 0.1, "maxX": 1.5, "minY": 0.1, "maxY": 0.2}), ValueError,
         "out of range.*maxX=1.5.*fractions in \\[0, 1\\]"),
        (box({"minX": -0.1, "maxX": 0.5, "minY": 0.1, "maxY": 0.2}), ValueError, "out of range"),
        (box({"minX": 1, "maxX": 21, "minY": 1, "maxY": 2}, domain="pixel"), ValueError,
         "out of range.*inside the 20×10 image"),
        (box({"minX": 1, "maxX": 2, "minY": 1, "maxY": 11}, domain="pixel"), ValueError, "maxY=11"),
        (box({"minX": 0.1, "maxX": 0.2, "minY": 0.1, "maxY": 0.2}, domain="inches"), ValueError,
         r"\['domain'\] must be 'pixel'"),
        (box({"minX": "a", "maxX": 0.2, "minY": 0.1, "maxY": 0.2}), TypeError,
         r"\['minX'\] must be a number"),
        (box({"minX": float("nan"), "maxX": 0.2, "minY": 0.1, "maxY": 0.2}), ValueError, "must be finite"),
        (box({"minX": 0.1, "maxX": 0.2, "minY": 0.1, "maxY": 0.2}, scores={"acc": "hi"}), TypeError,
         r"\['scores'\]\['acc'\] must be a number"),
        ({"g": {"box_data": [{"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1}, "class_id": 1.5}]}},
         TypeError, r"\['class_id'\] must be an int"),
    ],
)
def test_bad_boxes(boxes: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Image(IMG, boxes=boxes)


def test_pixel_boxes_on_the_edge_are_fine(tmp_path: Path) -> None:
    img = Image(IMG, boxes=box({"minX": 0, "maxX": 20, "minY": 0, "maxY": 10}, domain="pixel"))
    assert img.to_ref(MediaStore(tmp_path))["boxes"]["g"]["box_data"][0]["position"]["maxX"] == 20.0


def test_one_image_stored_twice_is_encoded_once(tmp_path: Path) -> None:
    img = Image(np.full((3, 3, 3), 5, dtype=np.uint8), masks={"m": {"mask_data": np.ones((3, 3), dtype=int)}})
    a = img.to_ref(MediaStore(tmp_path / "a"))
    b = img.to_ref(MediaStore(tmp_path / "b"))  # e.g. logged in history and put in the summary
    assert a == b
    assert (tmp_path / "a" / a["path"]).read_bytes() == (tmp_path / "b" / b["path"]).read_bytes()
    assert (tmp_path / "b" / b["masks"]["m"]["path"]).is_file()


def test_pyplot_module_renders_the_current_figure(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.figure(figsize=(1, 1), dpi=40)
    plt.plot([1, 2, 3, 4])
    plt.ylabel("some interesting numbers")
    img = Image(plt)
    plt.close("all")
    ref, im = stored(tmp_path, img)
    assert im.size == (40, 40) and ref["format"] == "png"


class FakeTensor:
    """Stands in for a torch/jax tensor: anything with ``__array__``."""

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.a


def test_array_like_objects_are_accepted(tmp_path: Path) -> None:
    ref, im = stored(tmp_path, Image(FakeTensor(np.ones((3, 4, 5), dtype=np.float32))))
    assert im.size == (5, 4) and im.mode == "RGB" and np.asarray(im).max() == 255


def test_arrays_need_no_pillow_but_files_name_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "a.jpg"
    PILImage.new("RGB", (2, 2)).save(src)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    ref = Image(np.zeros((3, 3, 3), dtype=np.uint8)).to_ref(MediaStore(tmp_path / "run"))
    assert ref["format"] == "png"
    with pytest.raises(ImportError, match=r"'Pillow'.*pip install 'runyard\[media\]'"):
        Image(src)
    with pytest.raises(ImportError, match=r"pip install 'runyard\[media\]'"):
        Image(np.zeros((3, 3, 3), dtype=np.uint8), file_type="jpeg")


def test_images_pickle_and_deepcopy(tmp_path: Path) -> None:
    import copy
    import pickle

    img = Image(np.full((2, 2), 3, dtype=np.uint8), caption="p")
    for clone in (pickle.loads(pickle.dumps(img)), copy.deepcopy(img)):
        assert clone.to_ref(MediaStore(tmp_path)) == img.to_ref(MediaStore(tmp_path))
