"""Object3D from files wandb accepts: glTF 1.0 (upgraded to 2.0 for the viewer) and .pts.json
point clouds. The glTF 1.0 documents are built here from a trimesh box; the upgraded files are
loaded back with trimesh, a glTF 2.0 reader."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from gltf1_fixture import gltf1_box
from runyard.types import MediaStore, Object3D


def _load_stored(tmp_path: Path, obj: Object3D) -> tuple[dict[str, Any], dict[str, Any], trimesh.Scene]:
    ref = obj.to_ref(MediaStore(tmp_path / "run"))
    stored = tmp_path / "run" / ref["path"]
    return ref, json.loads(stored.read_bytes()), trimesh.load(str(stored), file_type="gltf", force="scene")


@pytest.mark.parametrize("interleaved", [False, True])
def test_gltf1_file_is_upgraded_to_2_and_keeps_its_geometry(tmp_path: Path, interleaved: bool) -> None:
    doc, _ = gltf1_box(interleaved=interleaved)
    path = tmp_path / "box.gltf"
    path.write_text(json.dumps(doc))
    with pytest.warns(UserWarning, match="without its techniques"):
        ref, stored, scene = _load_stored(tmp_path, Object3D(str(path)))
    assert ref["format"] == "gltf" and stored["asset"]["version"] == "2.0"
    assert stored["materials"][0]["pbrMetallicRoughness"]["baseColorFactor"] == [1.0, 0.0, 0.0, 1.0]
    # two boxes of 8 vertices (the node's second mesh became a child node), moved +10 on x
    assert len(scene.geometry) == 2 and sum(len(g.vertices) for g in scene.geometry.values()) == 16
    assert np.allclose(scene.bounds, [[9.5, -1.0, -1.5], [10.5, 1.0, 1.5]])
    if interleaved:
        # the bounds above could only come out right if positions were read with the 24-byte stride
        assert {v.get("byteStride") for v in stored["bufferViews"]} == {None, 24}


def test_gltf1_external_buffer_is_inlined_and_text_files_work(tmp_path: Path) -> None:
    doc, blob = gltf1_box(external="box.bin")
    (tmp_path / "box.bin").write_bytes(blob)
    (tmp_path / "box.gltf").write_text(json.dumps(doc))
    with open(tmp_path / "box.gltf") as f, pytest.warns(UserWarning, match="techniques"):
        ref, stored, scene = _load_stored(tmp_path, Object3D(f))
    assert stored["buffers"][0]["uri"].startswith("data:application/octet-stream;base64,")
    assert np.allclose(scene.extents, (1.0, 2.0, 3.0))


def test_binary_gltf1_is_upgraded_to_a_glb_2(tmp_path: Path) -> None:
    doc, blob = gltf1_box()
    doc["buffers"] = {"binary_glTF": {"byteLength": len(blob), "type": "arraybuffer", "uri": "data:,"}}
    for view in doc["bufferViews"].values():
        view["buffer"] = "binary_glTF"
    doc["extensionsUsed"] = ["KHR_binary_glTF"]
    scene = json.dumps(doc).encode()
    scene += b" " * (-len(scene) % 4)
    glb1 = struct.pack("<4sIIII", b"glTF", 1, 20 + len(scene) + len(blob), len(scene), 0) + scene + blob
    (tmp_path / "box1.glb").write_bytes(glb1)
    with pytest.warns(UserWarning, match="techniques"):
        obj = Object3D(str(tmp_path / "box1.glb"))
    ref = obj.to_ref(MediaStore(tmp_path / "run"))
    stored = (tmp_path / "run" / ref["path"]).read_bytes()
    assert ref["format"] == "glb" and stored[:4] == b"glTF" and struct.unpack_from("<I", stored, 4)[0] == 2
    loaded = trimesh.load(str(tmp_path / "run" / ref["path"]), file_type="glb", force="scene")
    assert len(loaded.geometry) == 2 and np.allclose(loaded.bounds, [[9.5, -1.0, -1.5], [10.5, 1.0, 1.5]])
    bad = glb1[:12] + struct.pack("<I", 10**6) + glb1[16:]
    (tmp_path / "bad.glb").write_bytes(bad)
    with pytest.raises(ValueError, match="malformed header"):
        Object3D(str(tmp_path / "bad.glb"))


def test_gltf2_files_are_stored_unchanged(tmp_path: Path) -> None:
    files = trimesh.exchange.gltf.export_gltf(trimesh.creation.box().scene(), embed_buffers=True)
    (tmp_path / "b.gltf").write_bytes(files["model.gltf"])
    ref = Object3D(str(tmp_path / "b.gltf")).to_ref(MediaStore(tmp_path / "run"))
    assert (tmp_path / "run" / ref["path"]).read_bytes() == files["model.gltf"]


def test_gltf1_naming_a_missing_part_is_a_clear_error(tmp_path: Path) -> None:
    doc, _ = gltf1_box()
    doc["meshes"]["plain"]["primitives"][0]["indices"] = "nope"
    (tmp_path / "bad.gltf").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"mesh 'plain' names 'nope', which is not in its accessors"):
        Object3D(str(tmp_path / "bad.gltf"))


def test_pts_json_files_load_as_point_clouds(tmp_path: Path) -> None:
    points = [[0.0, 0.0, 0.0, 1], [1.0, 2.0, 3.0, 2]]
    (tmp_path / "cloud.pts.json").write_text(json.dumps(points))
    ref, doc = _stored(tmp_path, Object3D(str(tmp_path / "cloud.pts.json")))
    assert ref["format"] == "pts.json" and ref["point_count"] == 2
    assert doc["format"] == "xyzc" and doc["points"] == points

    box = {"corners": [[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], "label": "car",
           "color": [0, 255, 0]}
    scene = {"type": "lidar/beta", "points": [[0, 0, 0, 255, 0, 0]], "boxes": [box],
             "vectors": [{"start": [0, 0, 0], "end": [1, 1, 1]}]}
    (tmp_path / "scene.pts.json").write_text(json.dumps(scene))
    with open(tmp_path / "scene.pts.json", "rb") as f:
        ref, doc = _stored(tmp_path, Object3D(f))
    assert doc["type"] == "lidar/beta" and doc["format"] == "xyzrgb" and ref["box_count"] == 1
    assert doc["boxes"][0]["label"] == "car" and doc["vectors"][0]["end"] == [1.0, 1.0, 1.0]

    # runyard's own stored file, logged again, is the same cloud
    again = tmp_path / "again.pts.json"
    again.write_text(json.dumps(_stored(tmp_path, Object3D(np.array(points)))[1]))
    assert _stored(tmp_path, Object3D(str(again)))[1]["points"] == points


def test_bad_pts_json_files_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "a.pts.json").write_text("{not json")
    with pytest.raises(ValueError, match="pts.json file is not valid JSON"):
        Object3D(str(tmp_path / "a.pts.json"))
    (tmp_path / "b.pts.json").write_text(json.dumps([[1, 2]]))
    with pytest.raises(ValueError, match="has shape"):
        Object3D(str(tmp_path / "b.pts.json"))
    (tmp_path / "c.pts.json").write_text('"points"')
    with pytest.raises(ValueError, match="holds a list of points"):
        Object3D(str(tmp_path / "c.pts.json"))


def _stored(tmp_path: Path, obj: Object3D) -> tuple[dict[str, Any], dict[str, Any]]:
    ref = obj.to_ref(MediaStore(tmp_path / "run"))
    return ref, json.loads((tmp_path / "run" / ref["path"]).read_bytes())
