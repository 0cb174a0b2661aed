"""``Object3D`` (docs/media-refs.md, ``object3D-file``): 3-D model files, point clouds and lidar scenes.

Model files (obj, gltf, glb) are stored unchanged under ``media/object3d/<sha256>.<format>``, except
a glTF 1.0 file, which is upgraded to glTF 2.0 (``gltf1.py``) so the viewer can draw it.
Point clouds and scenes are stored as one compact JSON file a three.js viewer loads directly
(``media/object3d/<sha256>.pts.json``)::

    {"type": "points" | "lidar/beta",
     "format": "xyz" | "xyzc" | "xyzrgb",
     "points": [[x, y, z], ...] | [[x, y, z, c], ...] | [[x, y, z, r, g, b], ...],
     "boxes": [{"corners": [[x, y, z] × 8] (or [], kept, not drawn), "label"?: str, "color"?: [r, g, b],
                "score"?: num}],
     "vectors": [{"start": [x, y, z], "end": [x, y, z]}]}

Categories ``c`` and colours ``r, g, b`` are integers; colours are clipped to 0–255 (the
reference's own example passes 321). Points holding NaN or infinity are dropped with a warning.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import gltf1
from ._files import read_source
from .base import Media, MediaStore

FILE_FORMATS = ("obj", "gltf", "glb", "pts.json")
BINARY_FORMATS = ("glb",)
POINT_FORMATS = {3: "xyz", 4: "xyzc", 6: "xyzrgb"}
SCENE_KEYS = ("type", "points", "boxes", "vectors")
BOX_KEYS = ("corners", "label", "color", "score")
_SHAPES_HELP = (
    "point clouds must be n×3 [x, y, z], n×4 [x, y, z, category 1–14] or n×6 [x, y, z, r, g, b "
    "with colours 0–255]"
)


def _points(data: Any, what: str, stacklevel: int = 3) -> np.ndarray:
    """Validate and copy a point array (2-D, 3/4/6 columns; float32 stays float32, else float64)."""
    dtype = np.float32 if getattr(data, "dtype", None) in (np.float16, np.float32) else np.float64
    try:
        arr = np.array(data, dtype=dtype, copy=True)
    except (TypeError, ValueError) as e:
        raise ValueError(f"Object3D: {what} must be a numeric array; {_SHAPES_HELP} ({e})") from e
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 3)
    if arr.ndim != 2 or arr.shape[1] not in POINT_FORMATS:
        raise ValueError(f"Object3D: {what} has shape {arr.shape}; {_SHAPES_HELP}")
    finite = np.all(np.isfinite(arr), axis=1)
    if not finite.all():
        dropped = int(np.count_nonzero(~finite))
        warnings.warn(
            f"Object3D: {dropped} of {len(arr)} points in {what} hold NaN or infinity; they are not stored",
            stacklevel=stacklevel,
        )
        arr = arr[finite]
    return arr


def _vec3(value: Any, what: str) -> list[float]:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"Object3D: {what} must be 3 numbers [x, y, z], got {value!r}") from e
    if arr.shape != (3,):
        raise ValueError(f"Object3D: {what} must be 3 numbers [x, y, z], got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"Object3D: {what} holds NaN or infinity: {arr.tolist()}")
    return [float(v) for v in arr]


def _color(value: Any, what: str) -> list[int]:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"Object3D: {what} must be 3 numbers [r, g, b], got {value!r}") from e
    if arr.shape != (3,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"Object3D: {what} must be 3 finite numbers [r, g, b] (0–255), got {value!r}")
    return [int(v) for v in np.clip(np.rint(arr), 0, 255)]


def _items(value: Any, what: str) -> list[Any]:
    """A list of dicts from a numpy object array or any sequence."""
    if value is None:
        return []
    if isinstance(value, np.ndarray):
        return list(value.ravel().tolist()) if value.dtype == object else list(value.tolist())
    message = f"Object3D: {what} must be a list (or numpy array) of dicts, got {type(value).__name__}"
    if isinstance(value, (str, bytes, Mapping)):
        raise TypeError(message)
    try:
        return list(value)
    except TypeError as e:
        raise TypeError(message) from e


def _box(box: Any, i: int) -> dict[str, Any]:
    if not isinstance(box, Mapping):
        raise TypeError(f"Object3D: boxes[{i}] must be a dict with corners, label, color, score; "
                        f"got {type(box).__name__}")
    unknown = sorted(str(k) for k in box if k not in BOX_KEYS)
    if unknown:
        raise ValueError(f"Object3D: boxes[{i}] has unknown keys {unknown}; a box has {list(BOX_KEYS)}")
    if "corners" not in box:
        raise ValueError(f"Object3D: boxes[{i}] has no 'corners' (8 points [x, y, z])")
    try:
        corners = np.asarray(box["corners"], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"Object3D: boxes[{i}]['corners'] must be 8 points [x, y, z]") from e
    if corners.size == 0:
        corners = corners.reshape(0, 3)  # no corners, as wandb accepts: the box is kept and not drawn
    elif corners.shape != (8, 3):
        raise ValueError(f"Object3D: boxes[{i}]['corners'] must have shape 8×3, got {corners.shape}")
    if not np.all(np.isfinite(corners)):
        raise ValueError(f"Object3D: boxes[{i}]['corners'] holds NaN or infinity")
    out: dict[str, Any] = {"corners": corners.tolist()}
    if box.get("label") is not None:
        out["label"] = str(box["label"])
    if box.get("color") is not None:
        out["color"] = _color(box["color"], f"boxes[{i}]['color']")
    if box.get("score") is not None:
        score = box["score"]
        if isinstance(score, bool) or not isinstance(score, (int, float, np.integer, np.floating)):
            raise TypeError(f"Object3D: boxes[{i}]['score'] must be a number, got {type(score).__name__}")
        out["score"] = float(score)
    return out


def _vector(vec: Any, i: int) -> dict[str, Any]:
    if not isinstance(vec, Mapping) or "start" not in vec or "end" not in vec:
        raise ValueError(f"Object3D: vectors[{i}] must be a dict {{'start': [x, y, z], 'end': [x, y, z]}}")
    unknown = sorted(str(k) for k in vec if k not in ("start", "end"))
    if unknown:
        raise ValueError(f"Object3D: vectors[{i}] has unknown keys {unknown}; a vector has start and end")
    return {
        "start": _vec3(vec["start"], f"vectors[{i}]['start']"),
        "end": _vec3(vec["end"], f"vectors[{i}]['end']"),
    }


def _encode_points(arr: np.ndarray) -> list[list[float | int]]:
    """Rows for the JSON file: coordinates as floats, categories and colours as integers."""
    if arr.dtype == np.float32:
        # Through the shortest float32 text: 0.1f is written 0.1, not 0.10000000149011612.
        xyz = arr[:, :3].astype(str).astype(np.float64).tolist()
    else:
        xyz = arr[:, :3].tolist()
    if arr.shape[1] == 3:
        return xyz  # type: ignore[no-any-return]
    extra = arr[:, 3:]
    if arr.shape[1] == 6:
        extra = np.clip(np.rint(extra), 0, 255)
    else:
        extra = np.rint(extra)
    ints = extra.astype(np.int64).tolist()
    return [p + e for p, e in zip(xyz, ints, strict=True)]


def _base_dir(data: Any) -> str | None:
    """The folder of a model read from disk (where a glTF file's external buffers live)."""
    name = os.fspath(data) if isinstance(data, (str, os.PathLike)) else getattr(data, "name", None)
    return os.path.dirname(os.path.abspath(name)) if isinstance(name, str) and os.path.isfile(name) else None


class Object3D(Media):
    """A 3-D object: a path or open file of obj/gltf/glb, a numpy point cloud (n×3, n×4, n×6) or a
    scene dict ``{"type": "lidar/beta", "points", "boxes", "vectors"}``.

    A ``.pts.json`` file is read as a point cloud (a list of points or a scene dict) and checked
    like one; a glTF 1.0 file is upgraded to glTF 2.0 (``types/gltf1.py``), which the viewer draws.

    Reference: ``{"_type": "object3D-file", "path", "sha256", "size", "format", "caption"?,
    "point_count"?, "box_count"?}`` (``format`` is obj, gltf, glb or pts.json).
    """

    _type = "object3D-file"
    SUPPORTED_TYPES = FILE_FORMATS

    def __init__(self, data: Any, caption: str | None = None, file_type: str | None = None) -> None:
        self.caption = None if caption is None else str(caption)
        self._bytes: bytes | None = None
        self._scene: dict[str, Any] | None = None
        self._points: np.ndarray | None = None
        if isinstance(data, Mapping):
            self.format = "pts.json"
            self._init_scene(data)
        elif isinstance(data, np.ndarray) or (isinstance(data, (list, tuple)) and data):
            self.format = "pts.json"
            self._points = _points(data, "the point cloud")
            self._scene = {"type": "points", "boxes": [], "vectors": []}
        else:
            self._bytes, self.format = read_source(data, file_type, FILE_FORMATS, BINARY_FORMATS, "Object3D")
            if self.format == "pts.json":
                self._init_pts_json(self._bytes)
                self._bytes = None
            else:
                self._check_file(_base_dir(data))

    def _init_pts_json(self, content: bytes) -> None:
        """A point cloud file: a JSON list of points, or a scene dict (wandb's ``lidar/beta`` or
        runyard's own ``pts.json`` with ``format``), checked as the same data logged directly."""
        try:
            doc = json.loads(content)
        except ValueError as e:
            raise ValueError(f"Object3D: the pts.json file is not valid JSON ({e})") from e
        if isinstance(doc, list):
            self._points = _points(doc, "the pts.json file's points", stacklevel=4)
            self._scene = {"type": "points", "boxes": [], "vectors": []}
        elif isinstance(doc, dict):
            kind = doc.get("type")
            if kind == "points":  # runyard's own file, logged again
                self._points = _points(doc.get("points") or [], "the pts.json file's points", stacklevel=4)
                self._scene = {"type": "points", "boxes": [], "vectors": []}
            else:
                self._init_scene({k: v for k, v in doc.items() if k != "format"})
        else:
            raise ValueError("Object3D: a pts.json file holds a list of points [[x, y, z], ...] or a scene "
                             f"dict {{'type': 'lidar/beta', 'points', 'boxes', 'vectors'}}, got {type(doc).__name__}")

    def _init_scene(self, scene: Mapping[str, Any]) -> None:
        unknown = sorted(str(k) for k in scene if k not in SCENE_KEYS)
        if unknown:
            raise ValueError(
                f"Object3D: the scene dict has unknown keys {unknown}; a scene has {list(SCENE_KEYS)}"
            )
        kind = scene.get("type")
        if kind != "lidar/beta":
            raise ValueError(
                f"Object3D: scene type {kind!r} is not supported; the only scene type is 'lidar/beta'"
            )
        points = scene.get("points")
        self._points = _points([] if points is None else points, "scene['points']", stacklevel=4)
        boxes = [_box(b, i) for i, b in enumerate(_items(scene.get("boxes"), "scene['boxes']"))]
        vectors = [_vector(v, i) for i, v in enumerate(_items(scene.get("vectors"), "scene['vectors']"))]
        self._scene = {"type": "lidar/beta", "boxes": boxes, "vectors": vectors}

    def _check_file(self, base_dir: str | None) -> None:
        assert self._bytes is not None
        if self.format == "glb" and self._bytes[:4] != b"glTF":
            raise ValueError(
                "Object3D: the glb data does not start with the glTF magic bytes; is it a glb file?"
            )
        if self.format == "glb" and gltf1.is_glb1(self._bytes):
            self._bytes = gltf1.upgrade_glb(self._bytes)
        if self.format == "gltf":
            try:
                doc = json.loads(self._bytes)
            except ValueError as e:
                raise ValueError(f"Object3D: the gltf file is not valid JSON ({e})") from e
            if not isinstance(doc, dict):
                raise ValueError("Object3D: the gltf file is not a glTF document (a JSON object)")
            if gltf1.is_gltf1(doc):
                doc = gltf1.upgrade(doc, base_dir)
                self._bytes = json.dumps(doc, separators=(",", ":")).encode("utf-8")
            external = [
                b.get("uri") for b in (doc.get("buffers") or []) + (doc.get("images") or [])
                if isinstance(b, dict) and isinstance(b.get("uri"), str) and not b["uri"].startswith("data:")
            ]
            if external:
                warnings.warn(
                    f"Object3D: the gltf file refers to external files {external} that are not stored "
                    "with it; export with embedded buffers or log a .glb to keep the model whole",
                    stacklevel=3,
                )

    @classmethod
    def from_file(cls, data_or_path: Any, file_type: str | None = None) -> Object3D:
        """An obj, gltf or glb file (a path or an open file), as wandb's ``Object3D.from_file``."""
        return cls(data_or_path, file_type=file_type)

    @classmethod
    def from_numpy(cls, data: np.ndarray) -> Object3D:
        """A point cloud of shape n×3, n×4 or n×6, as wandb's ``Object3D.from_numpy``."""
        if not isinstance(data, np.ndarray):
            raise TypeError(f"Object3D.from_numpy: expected a numpy array, got {type(data).__name__}")
        return cls(data)

    @classmethod
    def from_point_cloud(
        cls,
        points: Any,
        boxes: Any = (),
        vectors: Any = None,
        point_cloud_type: str = "lidar/beta",
    ) -> Object3D:
        """A lidar scene from its parts, as wandb's ``Object3D.from_point_cloud``."""
        return cls({"type": point_cloud_type, "points": points, "boxes": list(boxes),
                    "vectors": [] if vectors is None else vectors})

    @property
    def point_count(self) -> int | None:
        return None if self._points is None else len(self._points)

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        if self._bytes is not None:
            ref: dict[str, Any] = {"_type": "object3D-file"}
            ref.update(store.put_bytes("object3d", self._bytes, self.format))
            ref["format"] = self.format
        else:
            assert self._scene is not None and self._points is not None
            points = _encode_points(self._points)
            doc = {
                "type": self._scene["type"],
                "format": POINT_FORMATS[self._points.shape[1]],
                "points": points,
                "boxes": self._scene["boxes"],
                "vectors": self._scene["vectors"],
            }
            data = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
            ref = {"_type": "object3D-file", **store.put_bytes("object3d", data, "pts.json")}
            ref["format"] = "pts.json"
            ref["point_count"] = len(points)
            ref["box_count"] = len(self._scene["boxes"])
        if self.caption is not None:
            ref["caption"] = self.caption
        return ref
