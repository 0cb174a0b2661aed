"""Object3D (docs/media-refs.md, object3D-file): trimesh-made model files, point clouds and the reference's lidar scene."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from runyard.types import MediaStore, Object3D


def _box_mesh() -> trimesh.Trimesh:
    return trimesh.creation.box(extents=(1.0, 2.0, 3.0))


def _stored_json(tmp_path: Path, obj: Object3D) -> tuple[dict[str, Any], dict[str, Any]]:
    ref = obj.to_ref(MediaStore(tmp_path))
    return ref, json.loads((tmp_path / ref["path"]).read_bytes())


def test_glb_path_and_binary_file_load_back_with_trimesh(tmp_path: Path) -> None:
    glb = tmp_path / "sample.glb"
    glb.write_bytes(trimesh.exchange.gltf.export_glb(_box_mesh().scene()))
    ref = Object3D(str(glb), caption="box").to_ref(MediaStore(tmp_path / "run"))
    assert ref["_type"] == "object3D-file" and ref["format"] == "glb" and ref["caption"] == "box"
    stored = tmp_path / "run" / ref["path"]
    assert stored.suffix == ".glb" and stored.read_bytes() == glb.read_bytes()
    scene = trimesh.load(str(stored))
    mesh = next(iter(scene.geometry.values())) if isinstance(scene, trimesh.Scene) else scene
    assert len(mesh.vertices) == 8 and np.allclose(mesh.extents, (1.0, 2.0, 3.0))
    with open(glb, "rb") as f:
        assert Object3D(f).to_ref(MediaStore(tmp_path / "run"))["path"] == ref["path"]


def test_reference_example_text_mode_opens(tmp_path: Path) -> None:
    # wandb.log({"generated_samples": [Object3D(open("sample.obj")), Object3D(open("sample.gltf")),
    #                                  Object3D(open("sample.glb"))]}) — all opened in text mode.
    mesh = _box_mesh()
    (tmp_path / "sample.obj").write_text(trimesh.exchange.obj.export_obj(mesh))
    gltf_files = trimesh.exchange.gltf.export_gltf(mesh.scene(), embed_buffers=True)
    (tmp_path / "sample.gltf").write_bytes(gltf_files["model.gltf"])
    (tmp_path / "sample.glb").write_bytes(trimesh.exchange.gltf.export_glb(mesh.scene()))
    store = MediaStore(tmp_path / "run")
    refs = []
    for name in ("sample.obj", "sample.gltf", "sample.glb"):
        with open(tmp_path / name) as f:  # text mode, as in the reference
            refs.append(Object3D(f).to_ref(store))
    assert [r["format"] for r in refs] == ["obj", "gltf", "glb"]
    for ref, name in zip(refs, ("sample.obj", "sample.gltf", "sample.glb"), strict=True):
        stored = tmp_path / "run" / ref["path"]
        assert stored.read_bytes() == (tmp_path / name).read_bytes()
        loaded = trimesh.load(str(stored), force="mesh")
        assert len(loaded.vertices) >= 8 and np.allclose(loaded.extents, (1.0, 2.0, 3.0))


def test_gltf_with_external_buffers_warns(tmp_path: Path) -> None:
    files = trimesh.exchange.gltf.export_gltf(_box_mesh().scene())  # buffers as separate .bin files
    for name, data in files.items():
        (tmp_path / ("a.gltf" if name.endswith(".gltf") else name)).write_bytes(data)
    with pytest.warns(UserWarning, match=r"external files \['gltf_buffer_"):
        Object3D(str(tmp_path / "a.gltf"))


def test_point_cloud_shapes(tmp_path: Path) -> None:
    xyz = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    ref, doc = _stored_json(tmp_path, Object3D(xyz))
    assert ref["format"] == "pts.json" and ref["path"].endswith(".pts.json")
    assert ref["point_count"] == 2 and ref["box_count"] == 0
    assert doc == {"type": "points", "format": "xyz", "points": xyz.tolist(), "boxes": [], "vectors": []}

    xyzc = np.array([[0, 0, 0, 1], [1, 1, 1, 14]], dtype=float)
    _, doc = _stored_json(tmp_path, Object3D(xyzc))
    assert doc["format"] == "xyzc" and doc["points"] == [[0.0, 0.0, 0.0, 1], [1.0, 1.0, 1.0, 14]]
    assert all(isinstance(p[3], int) for p in doc["points"])

    xyzrgb = np.array([[0, 0, 0, 255, 0, 0], [1, 1, 1, 300, -5, 127.6]])
    _, doc = _stored_json(tmp_path, Object3D(xyzrgb))
    assert doc["format"] == "xyzrgb" and doc["points"][1][3:] == [255, 0, 128]


def test_point_cloud_is_copied_and_float32_kept_short(tmp_path: Path) -> None:
    pts = np.array([[0.1, 0.2, 0.3]], dtype=np.float32)
    obj = Object3D(pts)
    pts[0, 0] = 99
    ref, doc = _stored_json(tmp_path, obj)
    assert doc["points"] == [[0.1, 0.2, 0.3]]
    assert b"0.10000000149" not in (tmp_path / ref["path"]).read_bytes()


def test_points_with_nan_are_dropped_with_a_warning(tmp_path: Path) -> None:
    pts = np.array([[0, 0, 0], [np.nan, 1, 1], [2, 2, np.inf]], dtype=float)
    with pytest.warns(UserWarning, match="2 of 3 points in the point cloud hold NaN or infinity"):
        obj = Object3D(pts)  # said where the user logs it, not later on the writer thread
    ref, doc = _stored_json(tmp_path, obj)
    assert doc["points"] == [[0.0, 0.0, 0.0]] and ref["point_count"] == 1


def _reference_scene() -> dict[str, Any]:
    return {
        "type": "lidar/beta",
        "points": np.array([[0.4, 1, 1.3], [1, 1, 1], [1.2, 1, 1.2]]),
        "boxes": np.array([
            {"corners": [[0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0],
                         [1, 1, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]],
             "label": "Box", "color": [123, 321, 111]},
            {"corners": [[0, 0, 0], [0, 2, 0], [0, 0, 2], [2, 0, 0],
                         [2, 2, 0], [0, 2, 2], [2, 0, 2], [2, 2, 2]],
             "label": "Box-2", "color": [111, 321, 0]},
        ]),
        "vectors": [{"start": [0, 0, 0], "end": [0.1, 0.2, 0.5]}],
    }


def test_reference_lidar_scene(tmp_path: Path) -> None:
    ref, doc = _stored_json(tmp_path, Object3D(_reference_scene()))
    assert ref["point_count"] == 3 and ref["box_count"] == 2 and ref["format"] == "pts.json"
    assert doc["type"] == "lidar/beta" and doc["format"] == "xyz"
    assert doc["points"] == [[0.4, 1.0, 1.3], [1.0, 1.0, 1.0], [1.2, 1.0, 1.2]]
    assert [b["label"] for b in doc["boxes"]] == ["Box", "Box-2"]
    assert doc["boxes"][0]["color"] == [123, 255, 111]  # 321 clipped, not refused
    assert doc["boxes"][1]["corners"][7] == [2.0, 2.0, 2.0]
    assert doc["vectors"] == [{"start": [0.0, 0.0, 0.0], "end": [0.1, 0.2, 0.5]}]


def test_scene_with_plain_lists_and_scores(tmp_path: Path) -> None:
    scene = _reference_scene()
    scene["boxes"] = [dict(b, score=0.75) for b in scene["boxes"]]
    scene["vectors"] = np.array(scene["vectors"])
    _, doc = _stored_json(tmp_path, Object3D(scene))
    assert [b["score"] for b in doc["boxes"]] == [0.75, 0.75] and len(doc["vectors"]) == 1


def test_wandb_classmethods(tmp_path: Path) -> None:
    scene = _reference_scene()
    obj = Object3D.from_point_cloud(points=scene["points"], boxes=scene["boxes"], vectors=scene["vectors"])
    _, doc = _stored_json(tmp_path, obj)
    assert doc["type"] == "lidar/beta" and len(doc["boxes"]) == 2
    assert Object3D.from_numpy(np.zeros((2, 3))).point_count == 2
    glb = tmp_path / "m.glb"
    glb.write_bytes(trimesh.exchange.gltf.export_glb(_box_mesh().scene()))
    assert Object3D.from_file(str(glb)).format == "glb"
    with pytest.raises(TypeError, match="expected a numpy array"):
        Object3D.from_numpy([[0, 0, 0]])  # type: ignore[arg-type]


# -- bad inputs ------------------------------------------------------------------------------------


def test_five_column_point_cloud_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"shape \(4, 5\); point clouds must be n×3 .* n×4 .* n×6"):
        Object3D(np.zeros((4, 5)))


def test_glb_from_a_text_stream_without_a_file_needs_bytes(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="glb is a binary format but the file object was opened in text mode"):
        Object3D(io.StringIO("glTF..."), file_type="glb")


def test_a_box_without_corners_is_kept_as_wandb_keeps_it(tmp_path: Path) -> None:
    obj = Object3D.from_point_cloud(points=[], boxes=[{"corners": [], "label": "empty", "color": [0, 0, 0]}])
    ref = obj.to_ref(MediaStore(tmp_path))
    scene = json.loads((tmp_path / ref["path"]).read_text())
    assert scene["boxes"] == [{"corners": [], "label": "empty", "color": [0, 0, 0]}] and scene["points"] == []


def test_bad_box_and_vector_shapes_fail() -> None:
    scene = _reference_scene()
    scene["boxes"][1]["corners"] = [[0, 0, 0]] * 7
    with pytest.raises(ValueError, match=r"boxes\[1\]\['corners'\] must have shape 8×3, got \(7, 3\)"):
        Object3D(scene)
    scene = _reference_scene()
    scene["boxes"][0]["color"] = [1, 2]
    with pytest.raises(ValueError, match=r"boxes\[0\]\['color'\] must be 3 finite numbers"):
        Object3D(scene)
    scene = _reference_scene()
    scene["vectors"] = [{"start": [0, 0], "end": [1, 1, 1]}]
    with pytest.raises(ValueError, match=r"vectors\[0\]\['start'\] must be 3 numbers"):
        Object3D(scene)


def test_other_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scene type 'lidar' is not supported"):
        Object3D({"type": "lidar", "points": np.zeros((1, 3))})
    with pytest.raises(ValueError, match=r"unknown keys \['camera'\]"):
        Object3D({"type": "lidar/beta", "camera": {}})
    (tmp_path / "m.stl").write_text("solid")
    with pytest.raises(ValueError, match="supported formats are glb, gltf, obj"):
        Object3D(str(tmp_path / "m.stl"))
    with pytest.raises(ValueError, match="does not start with the glTF magic bytes"):
        Object3D(io.BytesIO(b"nope"), file_type="glb")
    with pytest.raises(ValueError, match="gltf file is not valid JSON"):
        Object3D(io.StringIO("{not json"), file_type="gltf")
    with pytest.raises(ValueError, match="pass file_type="):
        Object3D(io.BytesIO(b"glTF"))
