"""A glTF 1.0 document built from a trimesh box, for the Object3D tests (unit and browser)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import trimesh


def gltf1_box(external: str | None = None, interleaved: bool = False) -> tuple[dict[str, Any], bytes]:
    """A glTF 1.0 document of a 1×2×3 box: node "root" holds the box twice (the second mesh has
    a red material), and is moved by +10 on x with a 1.0-style matrix."""
    box = trimesh.creation.box(extents=(1.0, 2.0, 3.0))
    pos = box.vertices.astype(np.float32)
    idx = box.faces.astype(np.uint16).ravel()
    if interleaved:  # position and normal interleaved: byteStride on the accessors, as 1.0 has it
        normals = box.vertex_normals.astype(np.float32)
        vertex_bytes = np.hstack([pos, normals]).tobytes()
        stride = 24
    else:
        vertex_bytes, stride = pos.tobytes(), 0
    blob = vertex_bytes + idx.tobytes()
    uri = external or "data:application/octet-stream;base64," + base64.b64encode(blob).decode()
    accessors: dict[str, Any] = {
        "acc_pos": {"bufferView": "bv_vertices", "byteOffset": 0, "byteStride": stride, "componentType": 5126,
                    "count": len(pos), "type": "VEC3", "min": pos.min(0).tolist(), "max": pos.max(0).tolist()},
        "acc_idx": {"bufferView": "bv_indices", "byteOffset": 0, "byteStride": 0, "componentType": 5123,
                    "count": len(idx), "type": "SCALAR"},
    }
    attributes = {"POSITION": "acc_pos"}
    if interleaved:
        accessors["acc_nrm"] = {"bufferView": "bv_vertices", "byteOffset": 12, "byteStride": 24,
                                "componentType": 5126, "count": len(pos), "type": "VEC3"}
        attributes["NORMAL"] = "acc_nrm"
    doc = {
        "asset": {"version": "1.0"},
        "buffers": {"buf": {"byteLength": len(blob), "type": "arraybuffer", "uri": uri}},
        "bufferViews": {
            "bv_vertices": {"buffer": "buf", "byteOffset": 0, "byteLength": len(vertex_bytes), "target": 34962},
            "bv_indices": {"buffer": "buf", "byteOffset": len(vertex_bytes), "byteLength": idx.nbytes,
                           "target": 34963},
        },
        "accessors": accessors,
        "materials": {"red": {"name": "red", "values": {"diffuse": [1, 0, 0, 1]}, "technique": "tech"}},
        "techniques": {"tech": {"parameters": {}}},
        "meshes": {
            "plain": {"primitives": [{"attributes": attributes, "indices": "acc_idx", "primitive": 4}]},
            "painted": {"primitives": [{"attributes": attributes, "indices": "acc_idx", "material": "red",
                                        "primitive": 4}]},
        },
        "nodes": {"root": {"meshes": ["plain", "painted"],
                           "matrix": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 10, 0, 0, 1]}},
        "scenes": {"main": {"nodes": ["root"]}},
        "scene": "main",
    }
    return doc, blob
