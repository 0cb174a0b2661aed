"""``Image`` (docs/media-refs.md, ``image-file``): arrays, PIL images, image files and matplotlib figures, with masks
and boxes.

Everything a user can get wrong is checked in the constructor, on the caller's thread, and the
pixels are copied there; encoding happens in ``to_ref`` on the writer thread. Arrays are written
by runyard's own PNG writer (``_png.py``), so logging arrays needs neither Pillow nor its ~6 ms
per 256×256 image; PIL images, files in other formats and JPEG output use Pillow, imported only
then. An image file that already is PNG or JPEG is stored byte for byte.

Reference (see ``docs/media-refs.md``)::

    {"_type": "image-file", "path", "sha256", "size", "format": "png" | "jpeg", "width",
     "height", "mode", "caption"?, "grouping"?, "classes"?,
     "masks"?: {name: {"path", "sha256", "size", "class_labels": {"1": "tree"}}},
     "boxes"?: {group: {"box_data": [box, ...], "class_labels": {"1": "car"}}}}
"""

from __future__ import annotations

import io
import math
import os
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ..errors import RunyardWarning
from ._optional import import_optional, is_array_like, read_file, to_numpy
from ._png import encode_png, png_header
from .base import Media, MediaStore, read_binary

MAX_IMAGES_BEFORE_WARNING = 50
FILE_TYPES = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg"}
_CHANNEL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}
# Modes runyard's own PNG writer handles; any other requested mode goes through Pillow.
_NATIVE_MODES = {"L", "RGB", "RGBA", "LA", "I;16"}
_PIL_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "I", "I;16", "F", "CMYK", "YCbCr", "LAB", "HSV"}
_MAX_MASK_ID = 65535
_EDGE_TOLERANCE = 1e-6  # float slack on box edges (a middle/width box may land on 1.0000000001)



def check_image_count(n: int) -> None:
    """Warn (``RunyardWarning``) when one value holds more than 50 images (docs/media-refs.md, ``image-file``)."""
    if n > MAX_IMAGES_BEFORE_WARNING:
        warnings.warn(
            f"{n} images logged in one step; more than {MAX_IMAGES_BEFORE_WARNING} per step makes "
            "the media panels slow to browse (they are all stored)",
            RunyardWarning,
            stacklevel=3,
        )


def _is_pil_image(value: Any) -> bool:
    return type(value).__module__.startswith("PIL.") and hasattr(value, "mode") and hasattr(value, "save")


def _matplotlib_figure(value: Any) -> Any | None:
    """The figure to render when ``value`` is a matplotlib Figure or the pyplot module, else None."""
    module = getattr(value, "__name__", None) if isinstance(value, ModuleType) else type(value).__module__
    if not isinstance(module, str) or not module.startswith("matplotlib"):
        return None
    if module == "matplotlib.pyplot" and hasattr(value, "gcf"):
        return value.gcf()
    return value if hasattr(value, "savefig") else None


def _describe(value: Any) -> str:
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _identify(data: bytes, what: str) -> tuple[str, int, int, str]:
    """``(format, width, height, mode)`` of encoded image bytes; Pillow only for non-PNG files."""
    header = png_header(data)
    if header is not None:
        return ("png", *header)
    pil = import_optional("PIL.Image", f"{what} (reading a non-PNG image file)")
    try:
        with pil.open(io.BytesIO(data)) as im:
            fmt = str(im.format or "").lower()
            return fmt, int(im.size[0]), int(im.size[1]), str(im.mode)
    except Exception as e:  # Pillow raises UnidentifiedImageError, SyntaxError, OSError...
        raise ValueError(f"{what}: the file is not an image Pillow can read ({e})") from e


def _label_map(labels: Any, where: str) -> dict[int, str]:
    """Validate ``{int: str}`` class labels."""
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise TypeError(f"{where}: class_labels must be a dict {{int: str}}, got {_describe(labels)}")
    out: dict[int, str] = {}
    for k, v in labels.items():
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"{where}: class_labels keys must be int class ids, got {k!r} ({_describe(k)})")
        if not isinstance(v, str):
            raise TypeError(f"{where}: class_labels[{k!r}] must be a str, got {v!r} ({_describe(v)})")
        out[int(k)] = v
    return out


def _number(value: Any, where: str) -> float:
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()  # a 0-d tensor or array, as a torch box coordinate is
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where} must be a number, got {value!r} ({_describe(value)})")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{where} must be finite, got {f}")
    return f


def _to_uint(a: np.ndarray, top: int, normalize: bool = True) -> np.ndarray:
    """Pixels as uint8 (top=255) or uint16 (top=65535).

    Floats follow wandb's documented rule: values all in [0, 1] scale by ``top``, values all in
    [-1, 1] map -1 → 0 and 1 → ``top``, anything else is clipped; then rounded down. With
    ``normalize=False`` floats are only clipped. Integers are clipped; bools become 0 / ``top``.
    """
    dtype = np.uint8 if top == 255 else np.uint16
    if a.dtype == dtype:
        return a
    if a.dtype.kind == "b":
        return np.where(a, top, 0).astype(dtype)
    if a.dtype.kind == "f":
        finite = a[np.isfinite(a)]
        if normalize and finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
            a = a * top
        elif normalize and finite.size and finite.min() >= -1.0 and finite.max() <= 1.0:
            a = (a + 1.0) * (top / 2)
        a = np.nan_to_num(a, nan=0.0, posinf=top, neginf=0.0)
        out: np.ndarray = np.floor(np.clip(a, 0, top)).astype(dtype)
        return out
    clipped: np.ndarray = np.clip(a, 0, top).astype(dtype)
    return clipped


def _check_pixels(pixels: int, width: int = 0, height: int = 0) -> None:
    """Refuse an image over the ``max_image_pixels`` setting before any work is spent on it."""
    from ..settings import current

    limit = int(current("max_image_pixels"))
    if pixels > limit:
        size = f"{width}×{height} = {pixels:,} pixels" if width else f"about {pixels:,} pixels or more"
        raise ValueError(
            f"Image: {size} is over the limit of {limit:,} (the max_image_pixels setting); resize it, or "
            "raise the limit with init(settings={'max_image_pixels': N}) or RUNYARD_MAX_IMAGE_PIXELS=N"
        )


class Image(Media):
    """An image to log: ``Image(data_or_path, mode=None, caption=None, ..., masks=None, boxes=None)``.

    ``data_or_path`` is a numpy array (or tensor) of shape (H, W), (H, W, C) or (C, H, W) with C
    in 1, 3, 4; a PIL image; a path or binary file object of an image file; or a matplotlib
    Figure (rendered to PNG now). Float arrays with all values in [0, 1] are scaled by 255,
    other floats and integers are clipped to 0..255 (NaN becomes 0); bools become 0/255.
    ``file_type`` is "png" (default) or "jpeg"; PNG and JPEG files are stored unchanged.
    Floats in [-1, 1] (not all in [0, 1]) map -1 → 0 and 1 → 255, as wandb's; ``normalize=False``
    only clips them. Another ``Image`` is copied (its pixels and caption; not its boxes or masks,
    as in wandb).
    """

    _type = "image-file"
    caption: str | None

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: Any = None,
        grouping: int | None = None,
        classes: Sequence[Mapping[str, Any]] | None = None,
        boxes: Mapping[str, Mapping[str, Any]] | None = None,
        masks: Mapping[str, Mapping[str, Any]] | None = None,
        file_type: str | None = None,
        normalize: bool = True,
    ) -> None:
        self.normalize = bool(normalize)
        if isinstance(data_or_path, Image):
            other = data_or_path
            data_or_path = other.image
            if caption is None:
                caption = other.caption
            if file_type is None:
                file_type = other.file_type
        self._pixels: np.ndarray | None = None  # a private copy of the caller's array
        self._stored: tuple[bytes, str, int, int, str] | None = None  # encoded, once
        self._lock = threading.Lock()
        self._pil: Any = None  # a private copy of the caller's PIL image
        self._encoded: bytes | None = None  # the bytes of an image file or a rendered figure
        self._source_format = ""
        self.caption = None if caption is None else str(caption)
        if grouping is not None and (isinstance(grouping, bool) or not isinstance(grouping, int)):
            raise TypeError(f"Image: grouping must be an int, got {grouping!r} ({_describe(grouping)})")
        self.grouping = grouping
        self.classes = self._check_classes(classes)
        if mode is not None and mode not in _PIL_MODES:
            raise ValueError(f"Image: unknown mode {mode!r}; use one of {', '.join(sorted(_PIL_MODES))}")
        self.file_type: str | None = None
        self._file_type_given = file_type.lower().lstrip(".") if isinstance(file_type, str) else None
        if file_type is not None:
            if not isinstance(file_type, str) or file_type.lower().lstrip(".") not in FILE_TYPES:
                raise ValueError(f"Image: file_type must be 'png' or 'jpeg' (or 'jpg'), got {file_type!r}")
            self.file_type = FILE_TYPES[file_type.lower().lstrip(".")]
        self.requested_mode = mode

        figure = _matplotlib_figure(data_or_path)
        if isinstance(data_or_path, (str, os.PathLike)):
            self._set_encoded(*read_file(data_or_path, "Image", "image"))
        elif figure is not None:
            buf = io.BytesIO()
            figure.savefig(buf, format="png")
            self._set_encoded(buf.getvalue(), "Image(matplotlib figure)")
        elif _is_pil_image(data_or_path):
            self._pil = data_or_path.copy()
            self.width, self.height = (int(v) for v in self._pil.size)
            self.mode = str(self._pil.mode)
        elif hasattr(data_or_path, "read"):
            self._set_encoded(read_binary(data_or_path, "Image"), "Image(file object)")
        elif is_array_like(data_or_path) or isinstance(data_or_path, (list, tuple)):
            shape = getattr(data_or_path, "shape", None)
            if shape is not None:  # refuse a huge array before copying it
                _check_pixels(int(np.prod(shape, dtype=np.float64)) // 4)
            arr = to_numpy(data_or_path)
            if arr.ndim == 3 and type(data_or_path).__module__.startswith("torch"):
                arr = arr.transpose(1, 2, 0)  # a torch tensor is always (C, H, W), as in wandb
            self._set_array(arr)
        else:
            raise TypeError(
                f"Image: cannot make an image from {_describe(data_or_path)}; pass a numpy array (H, W), "
                "(H, W, C) or (C, H, W), a PIL image, a path or binary file of an image, "
                "or a matplotlib figure"
            )
        _check_pixels(self.width * self.height, self.width, self.height)
        self._check_mode_and_type()
        self._masks = self._check_masks(masks)
        self._boxes = self._check_boxes(boxes)

    # -- construction (caller's thread) ------------------------------------------------------

    def _set_encoded(self, data: bytes, what: str) -> None:
        fmt, self.width, self.height, self.mode = _identify(data, what)
        self._encoded, self._source_format = data, fmt

    def _set_array(self, a: np.ndarray) -> None:
        if a.dtype.kind not in "biuf":
            raise TypeError(
                f"Image: the array's dtype must be numeric (uint8, other ints, float or bool), got {a.dtype}"
            )
        shape = a.shape
        while a.ndim > 3 and a.shape[0] == 1:
            a = a[0]
        if a.ndim == 3 and a.shape[-1] not in _CHANNEL_MODES and a.shape[0] in _CHANNEL_MODES:
            a = a.transpose(1, 2, 0)  # channel-first (C, H, W), as torch lays images out
        if a.ndim == 3 and a.shape[-1] == 1:
            a = a[:, :, 0]
        if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in _CHANNEL_MODES):
            raise ValueError(
                f"Image: an array of shape {shape} is not an image; expected (H, W) grey, (H, W, C) or "
                "(C, H, W) with C = 1 (grey), 3 (RGB) or 4 (RGBA)"
            )
        if a.shape[0] == 0 or a.shape[1] == 0:
            raise ValueError(f"Image: the array of shape {shape} has no pixels")
        self._pixels = a
        self.height, self.width = int(a.shape[0]), int(a.shape[1])
        self.mode = _CHANNEL_MODES[1 if a.ndim == 2 else a.shape[-1]]
        if self.requested_mode == "I;16" and a.ndim != 2:
            raise ValueError(f"Image: mode 'I;16' (16-bit grey) needs a 2-D array, got shape {shape}")

    def _check_mode_and_type(self) -> None:
        target = self.requested_mode or self.mode
        if self._pil is None:  # find out now, not on the writer thread, whether Pillow is needed
            native = self._pixels is not None and self.requested_mode == "I;16"
            converting = self.requested_mode not in (None, self.mode) and not native
            own_format = "png" if self._pixels is not None else self._source_format
            if converting or self.file_type not in (None, own_format):
                import_optional("PIL.Image", "Image")
        if self.file_type == "jpeg" and "A" in target and self.requested_mode is None:
            # wandb's sentence first, so code matching wandb's warning matches this one
            warnings.warn(f"Image: JPEG format does not support transparency. Ignoring alpha channel. The alpha "
                          f"of this {target} image is dropped (use file_type='png' to keep it)",
                          RunyardWarning, stacklevel=4)
        elif self.file_type == "jpeg" and ("A" in target or target in ("I;16", "I", "F")):
            raise ValueError(
                f"Image: file_type='jpeg' cannot store mode {target!r} (JPEG has no alpha channel and "
                "8-bit samples only); use file_type='png' or mode='RGB'"
            )

    @staticmethod
    def _check_classes(classes: Any) -> list[dict[str, Any]] | None:
        if classes is None:
            return None
        if isinstance(classes, (str, bytes)) or not isinstance(classes, Sequence):
            raise TypeError(
                f"Image: classes must be a list of {{'id': int, 'name': str}}, got {_describe(classes)}"
            )
        out = []
        for c in classes:
            ok = isinstance(c, Mapping) and isinstance(c.get("id"), int) and isinstance(c.get("name"), str)
            if not ok:
                raise ValueError(f"Image: each classes entry must be {{'id': int, 'name': str}}, got {c!r}")
            out.append({"id": int(c["id"]), "name": c["name"]})
        return out

    def _check_masks(self, masks: Any) -> list[tuple[str, np.ndarray, dict[int, str]]]:
        if masks is None:
            return []
        out = []
        for name, spec, where in _named_specs(masks, "masks", "name", "mask names", "mask_data",
                                              "a 2-D array of integer class ids"):
            data = spec["mask_data"]
            if not (is_array_like(data) or isinstance(data, (list, tuple))):
                raise TypeError(f"{where}['mask_data'] must be a 2-D integer array, got {_describe(data)}")
            arr = to_numpy(data)
            if arr.ndim != 2:
                raise ValueError(f"{where}['mask_data'] must be 2-D (height, width), got shape {arr.shape}")
            if arr.dtype.kind not in "iub":
                raise TypeError(
                    f"{where}['mask_data'] must hold integer class ids, got dtype {arr.dtype} "
                    "(convert with .astype(np.uint8))"
                )
            # A mask of another size is kept as it is (wandb accepts it); viewers scale it to the image.
            if arr.dtype.kind != "b" and arr.dtype != np.uint8 and arr.size:
                lo, hi = int(arr.min()), int(arr.max())
                if lo < 0 or hi > _MAX_MASK_ID:
                    raise ValueError(
                        f"{where}['mask_data'] class ids must be in 0..{_MAX_MASK_ID}, "
                        f"got values from {lo} to {hi}"
                    )
            out.append((name, arr, _label_map(spec.get("class_labels"), f"{where}")))
        return out

    def _check_boxes(self, boxes: Any) -> dict[str, dict[str, Any]]:
        if boxes is None:
            return {}
        out = {}
        for group, spec, where in _named_specs(boxes, "boxes", "group", "box group names", "box_data",
                                               "a list of boxes"):
            data = spec["box_data"]
            if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, (Sequence, np.ndarray)):
                raise TypeError(f"{where}['box_data'] must be a list of box dicts, got {_describe(data)}")
            labels = _label_map(spec.get("class_labels"), where)
            norm = [self._check_box(box, f"{where}['box_data'][{i}]") for i, box in enumerate(data)]
            for box in norm:
                labels.setdefault(box["class_id"], f"class_{box['class_id']}")
            out[group] = {"box_data": norm, "class_labels": {str(k): v for k, v in sorted(labels.items())}}
        return out

    def _check_box(self, box: Any, where: str) -> dict[str, Any]:
        if not isinstance(box, Mapping):
            raise TypeError(f"{where} must be a dict with 'position' and 'class_id', got {_describe(box)}")
        for key in ("position", "class_id"):
            if key not in box:
                raise ValueError(f"{where} is missing {key!r}")
        class_id = box["class_id"]
        if isinstance(class_id, (bool, np.bool_)) or not isinstance(class_id, (int, np.integer)):
            raise TypeError(f"{where}['class_id'] must be an int, got {class_id!r} ({_describe(class_id)})")
        domain = box.get("domain")
        if domain not in (None, "pixel", "percentage", "fraction"):
            raise ValueError(
                f"{where}['domain'] must be 'pixel' or omitted (fractions of the image), got {domain!r}"
            )
        pixel = domain == "pixel"
        pos = box["position"]
        if not isinstance(pos, Mapping):
            raise TypeError(f"{where}['position'] must be a dict, got {_describe(pos)}")
        p = f"{where}['position']"
        if all(k in pos for k in ("minX", "maxX", "minY", "maxY")):
            min_x, max_x = _number(pos["minX"], f"{p}['minX']"), _number(pos["maxX"], f"{p}['maxX']")
            min_y, max_y = _number(pos["minY"], f"{p}['minY']"), _number(pos["maxY"], f"{p}['maxY']")
        elif all(k in pos for k in ("middle", "width", "height")):
            middle = pos["middle"]
            if is_array_like(middle):
                middle = to_numpy(middle).tolist()  # a tensor [x, y]
            pair = isinstance(middle, (Sequence, np.ndarray)) and not isinstance(middle, (str, bytes))
            if not pair or len(middle) != 2:
                raise ValueError(f"{p}['middle'] must be [x, y], got {middle!r}")
            mx, my = _number(middle[0], f"{p}['middle'][0]"), _number(middle[1], f"{p}['middle'][1]")
            w, h = _number(pos["width"], f"{p}['width']"), _number(pos["height"], f"{p}['height']")
            if w < 0 or h < 0:
                raise ValueError(f"{p}: width and height must not be negative, got width={w}, height={h}")
            min_x, max_x, min_y, max_y = mx - w / 2, mx + w / 2, my - h / 2, my + h / 2
        else:
            missing = [k for k in ("minX", "maxX", "minY", "maxY") if k not in pos]
            raise ValueError(
                f"{p} needs either minX, maxX, minY, maxY (missing {', '.join(missing)}) or middle, width, "
                f"height; got keys {sorted(map(str, pos))}"
            )
        if min_x > max_x or min_y > max_y:
            raise ValueError(
                f"{p} is inverted: minX={min_x}, maxX={max_x}, minY={min_y}, maxY={max_y} "
                "(min must be <= max)"
            )
        lim_x, lim_y = (float(self.width), float(self.height)) if pixel else (1.0, 1.0)
        tol = _EDGE_TOLERANCE * (lim_x if pixel else 1.0)
        if min_x < -tol or min_y < -tol or max_x > lim_x + tol or max_y > lim_y + tol:
            bounds = (f"inside the {self.width}×{self.height} image (pixels)" if pixel
                      else "fractions in [0, 1] (pass domain='pixel' for pixel coordinates)")
            raise ValueError(
                f"{p} is out of range: minX={min_x}, maxX={max_x}, minY={min_y}, maxY={max_y}; "
                f"coordinates must be {bounds}"
            )
        out: dict[str, Any] = {
            "position": {
                "minX": min(max(min_x, 0.0), lim_x),
                "maxX": min(max(max_x, 0.0), lim_x),
                "minY": min(max(min_y, 0.0), lim_y),
                "maxY": min(max(max_y, 0.0), lim_y),
            },
            "domain": "pixel" if pixel else "fraction",
            "class_id": int(class_id),
        }
        if box.get("box_caption") is not None:
            out["box_caption"] = str(box["box_caption"])
        scores = box.get("scores")
        if scores is not None:
            if not isinstance(scores, Mapping):
                raise TypeError(f"{where}['scores'] must be a dict {{name: number}}, got {_describe(scores)}")
            out["scores"] = {str(k): _number(v, f"{where}['scores'][{k!r}]") for k, v in scores.items()}
        return out

    # -- encoding (writer thread) -------------------------------------------------------------

    def _encode(self) -> tuple[bytes, str, int, int, str]:
        """``(bytes, format, width, height, mode)`` of the stored image file."""
        own = self._source_format if self._source_format in ("png", "jpeg") else "png"
        target_fmt = self.file_type or own
        if self._pixels is not None:
            mode = self.requested_mode or self.mode
            if mode == "I;16":
                pixels = _to_uint(self._pixels, 65535, self.normalize)
            else:
                pixels = _to_uint(self._pixels, 255, self.normalize)
            if target_fmt == "png" and mode in _NATIVE_MODES and (mode == self.mode or mode == "I;16"):
                return encode_png(pixels), "png", self.width, self.height, mode
            pil = import_optional("PIL.Image", "Image").fromarray(np.ascontiguousarray(pixels))
            return self._pil_encode(pil, target_fmt)
        if self._encoded is not None:
            keep = self._source_format in ("png", "jpeg") and (
                self.file_type in (None, self._source_format)
                and self.requested_mode in (None, self.mode)
            )
            if keep:
                return self._encoded, self._source_format, self.width, self.height, self.mode
            pil_image = import_optional("PIL.Image", "Image")
            with pil_image.open(io.BytesIO(self._encoded)) as im:
                im.load()
                return self._pil_encode(im, target_fmt)
        return self._pil_encode(self._pil, target_fmt)

    def _pil_encode(self, im: Any, fmt: str) -> tuple[bytes, str, int, int, str]:
        mode = self.requested_mode
        if mode is None:
            mode = str(im.mode)
            if fmt == "jpeg" and mode not in ("L", "RGB", "CMYK"):
                mode = "RGB"
            elif fmt == "png" and mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
                has_alpha = "A" in mode or "a" in mode or "transparency" in im.info
                mode = "RGBA" if has_alpha else "L" if mode in ("I", "F") or mode.startswith("I;") else "RGB"
        if im.mode != mode:
            im = im.convert(mode)
        if fmt == "png" and mode in ("L", "LA", "RGB", "RGBA"):
            return encode_png(np.asarray(im)), "png", im.size[0], im.size[1], mode
        buf = io.BytesIO()
        if fmt == "png":
            im.save(buf, format="PNG", compress_level=1)
        else:
            im.save(buf, format="JPEG", quality=95)
        return buf.getvalue(), fmt, im.size[0], im.size[1], mode

    @property
    def image(self) -> Any:
        """The image as a PIL image (wandb's ``Image.image``); needs Pillow."""
        pil_image = import_optional("PIL.Image", "Image.image")
        with self._lock:
            if self._pil is not None:
                return self._pil
            if self._pixels is not None:
                mode = self.requested_mode or self.mode
                pixels = _to_uint(self._pixels, 65535 if mode == "I;16" else 255, self.normalize)
                return pil_image.fromarray(np.ascontiguousarray(pixels))
            data = self._encoded if self._encoded is not None else (self._stored[0] if self._stored else None)
        if data is None:
            return None
        with pil_image.open(io.BytesIO(data)) as im:
            im.load()
            return im.copy()

    def _encoded_once(self) -> tuple[bytes, str, int, int, str]:
        """Encode on the first call and drop the pixels; an image logged again reuses the bytes."""
        with self._lock:
            if self._stored is None:
                self._stored = self._encode()
                self._pixels = self._pil = self._encoded = None
            return self._stored

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        data, fmt, width, height, mode = self._encoded_once()
        ext = "jpg" if fmt == "jpeg" else fmt
        ref: dict[str, Any] = {"_type": "image-file", **store.put_bytes("image", data, ext)}
        ref.update(format=fmt, width=width, height=height, mode=mode)
        if self.caption is not None:
            ref["caption"] = self.caption
        if self.grouping is not None:
            ref["grouping"] = self.grouping
        if self.classes is not None:
            ref["classes"] = self.classes
        if self._masks:
            ref["masks"] = {name: self._mask_ref(store, arr, labels) for name, arr, labels in self._masks}
        if self._boxes:
            ref["boxes"] = self._boxes
        return ref

    @staticmethod
    def _mask_ref(store: MediaStore, arr: np.ndarray, labels: dict[int, str]) -> dict[str, Any]:
        top = 255 if arr.dtype.kind == "b" or (arr.size and int(arr.max()) <= 255) else 65535
        pixels = arr.astype(np.uint8 if top == 255 else np.uint16)
        ids = np.flatnonzero(np.bincount(pixels.ravel())) if pixels.size else np.array([], dtype=int)
        all_labels = dict(labels)
        for i in ids.tolist():
            all_labels.setdefault(int(i), f"class_{int(i)}")
        ref: dict[str, Any] = dict(store.put_bytes("image-mask", encode_png(pixels), "png"))
        ref["class_labels"] = {str(k): v for k, v in sorted(all_labels.items())}
        return ref

    @property
    def format(self) -> str:
        """The file type the image is stored as: the ``file_type`` given (``"jpg"`` stays ``"jpg"``,
        as wandb reports it), else the source file's format, else ``"png"``."""
        if self._file_type_given is not None:
            return self._file_type_given
        return self._source_format or "png"

    @classmethod
    def all_captions(cls, images: Sequence[Any]) -> list[str | None] | bool:
        """The captions of ``images``, or False when none has one (wandb's helper)."""
        captions = [getattr(im, "caption", None) for im in images]
        return captions if any(c is not None for c in captions) else False

    def to_data_array(self) -> list[list[Any]]:
        """The pixels as rows of values (a tuple per pixel for multi-channel images), as stored."""
        im = self.image
        if im is None:
            return []
        rows: list[list[Any]] = np.asarray(im).tolist()
        if rows and rows[0] and isinstance(rows[0][0], list):
            return [[tuple(px) for px in row] for row in rows]
        return rows

    def __eq__(self, other: object) -> bool:
        """Same pixels, size, caption, grouping and classes (wandb's equality)."""
        if not isinstance(other, Image):
            return NotImplemented
        if (self.width, self.height, self.caption, self.grouping, self.classes) != (
                other.width, other.height, other.caption, other.grouping, other.classes):
            return False
        return bool(self.to_data_array() == other.to_data_array())

    __hash__ = Media.__hash__

    def __getstate__(self) -> dict[str, Any]:  # picklable and deep-copyable despite the lock
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<runyard.Image {self.width}x{self.height} {self.mode}>"


def _named_specs(value: Any, what: str, name_word: str, names: str, data_key: str,
                 data_help: str) -> Iterator[tuple[str, Mapping[str, Any], str]]:
    """``(name, spec, where)`` of each entry of an Image's ``masks`` or ``boxes`` dict, after checking
    that it is a dict of str names to dicts holding ``data_key``."""
    if not isinstance(value, Mapping):
        example = "[...]" if data_key == "box_data" else "..."
        raise TypeError(
            f"Image: {what} must be a dict {{{name_word}: {{'{data_key}': {example}, 'class_labels': ...}}}}, "
            f"got {_describe(value)}"
        )
    for name, spec in value.items():
        where = f"Image: {what}[{name!r}]"
        if not isinstance(name, str):
            raise TypeError(f"Image: {names} must be str, got {name!r}")
        if not isinstance(spec, Mapping):
            raise TypeError(f"{where} must be a dict with '{data_key}' and 'class_labels', got {_describe(spec)}")
        if data_key not in spec:
            raise ValueError(f"{where} is missing '{data_key}' ({data_help})")
        yield name, spec, where
