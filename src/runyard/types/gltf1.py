"""glTF 1.0 → 2.0 for ``Object3D`` (docs/media-refs.md, ``object3D-file``).

wandb accepts glTF 1.0 files; the UI's three.js ``GLTFLoader`` reads glTF 2.0 only. So a 1.0
document (a ``.gltf``, or a ``.glb`` version 1) is rewritten as 2.0 when it is logged: the stored
file is what the viewer can draw.

Why hand-written: the maintained converter (Khronos' ``gltf-pipeline``) is a Node.js tool, and
the Python glTF libraries (``pygltflib``, ``gltflib``) read 2.0 only. The upgrade here keeps what
the viewer draws — buffers, buffer views, accessors, meshes, nodes (matrix or TRS), scenes, the
diffuse colour or texture of materials, textures, images and samplers — and leaves out skins,
animations, cameras and custom shaders (techniques), saying so in one warning.
``tests/unit/test_object3d_files.py`` loads the result with trimesh and compares the geometry.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import warnings
from typing import Any

BINARY_BUFFER = "binary_glTF"  # KHR_binary_glTF: the body of a binary glTF 1.0
DROPPED = ("skins", "animations", "cameras", "techniques", "programs", "shaders")
_ATTRIBUTES = {"JOINT": "JOINTS_0", "WEIGHT": "WEIGHTS_0", "TEXCOORD": "TEXCOORD_0", "COLOR": "COLOR_0"}
_COMPONENT_SIZE = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_TYPE_COUNT = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


def is_gltf1(doc: dict[str, Any]) -> bool:
    """A glTF 1.0 document: ``asset.version`` 1.x, or (older files) id-keyed dicts and no version."""
    version = str((doc.get("asset") or {}).get("version", ""))
    if version:
        return version.startswith("1")
    return isinstance(doc.get("meshes"), dict) or isinstance(doc.get("buffers"), dict)


def _index(section: Any) -> dict[str, int]:
    return {key: i for i, key in enumerate(section)} if isinstance(section, dict) else {}


def _inline(uri: str, base_dir: str | None) -> str:
    """An external buffer or image next to a file read from disk, inlined as a data URI."""
    if uri.startswith("data:") or base_dir is None:
        return uri
    path = os.path.join(base_dir, uri)
    if not os.path.isfile(path):
        return uri
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    kind = "image/png" if uri.lower().endswith(".png") else (
        "image/jpeg" if uri.lower().endswith((".jpg", ".jpeg")) else "application/octet-stream")
    return f"data:{kind};base64,{data}"


def upgrade(doc: dict[str, Any], base_dir: str | None = None) -> dict[str, Any]:
    """``doc`` (glTF 1.0) as a glTF 2.0 document; external files under ``base_dir`` are inlined.

    A binary glTF 1.0's body (the ``KHR_binary_glTF`` buffer ``binary_glTF``) becomes buffer 0
    without a ``uri``: the BIN chunk of the GLB ``upgrade_glb`` writes."""
    buffers = dict(doc.get("buffers") or {})
    if BINARY_BUFFER in buffers:  # the GLB body must be buffer 0
        doc = {**doc, "buffers": {BINARY_BUFFER: buffers.pop(BINARY_BUFFER), **buffers}}
    ids = {name: _index(doc.get(name)) for name in (
        "buffers", "bufferViews", "accessors", "meshes", "nodes", "scenes", "materials", "textures",
        "images", "samplers")}

    def ref(section: str, key: Any, where: str) -> int:
        try:
            return ids[section][key]
        except KeyError:
            raise ValueError(f"Object3D: the glTF 1.0 file's {where} names {key!r}, which is not in "
                             f"its {section}") from None

    out: dict[str, Any] = {"asset": {"version": "2.0", "generator": "runyard (upgraded from glTF 1.0)"}}
    out["buffers"] = [{"byteLength": int(b.get("byteLength", 0))} if key == BINARY_BUFFER else
                      {"byteLength": int(b.get("byteLength", 0)), "uri": _inline(str(b.get("uri", "")), base_dir)}
                      for key, b in (doc.get("buffers") or {}).items()]
    views = [{k: v for k, v in (("buffer", ref("buffers", bv.get("buffer"), f"bufferView {key!r}")),
                                 ("byteOffset", int(bv.get("byteOffset", 0))),
                                 ("byteLength", int(bv.get("byteLength", 0))),
                                 ("target", bv.get("target"))) if v is not None}
             for key, bv in (doc.get("bufferViews") or {}).items()]
    strided: dict[tuple[int, int], int] = {}  # (view, stride) → a copy of the view with that stride
    accessors = []
    for key, acc in (doc.get("accessors") or {}).items():
        view = ref("bufferViews", acc.get("bufferView"), f"accessor {key!r}")
        ctype, atype = int(acc.get("componentType", 5126)), str(acc.get("type", "SCALAR"))
        stride = int(acc.get("byteStride", 0))
        natural = _COMPONENT_SIZE.get(ctype, 4) * _TYPE_COUNT.get(atype, 1)
        if stride and stride != natural:  # 1.0 keeps the stride on the accessor, 2.0 on the view
            if (view, stride) not in strided:
                strided[(view, stride)] = len(views)
                views.append({**views[view], "byteStride": stride})
            view = strided[(view, stride)]
        new = {"bufferView": view, "byteOffset": int(acc.get("byteOffset", 0)), "componentType": ctype,
               "count": int(acc.get("count", 0)), "type": atype}
        for extra in ("min", "max", "normalized"):
            if extra in acc:
                new[extra] = acc[extra]
        accessors.append(new)
    out["bufferViews"], out["accessors"] = views, accessors

    meshes = []
    for key, mesh in (doc.get("meshes") or {}).items():
        prims = []
        for prim in mesh.get("primitives") or []:
            attrs = {_ATTRIBUTES.get(name, name): ref("accessors", acc, f"mesh {key!r}")
                     for name, acc in (prim.get("attributes") or {}).items()}
            new = {"attributes": attrs, "mode": int(prim.get("mode", prim.get("primitive", 4)))}
            if prim.get("indices") is not None:
                new["indices"] = ref("accessors", prim["indices"], f"mesh {key!r}")
            if prim.get("material") is not None:
                new["material"] = ref("materials", prim["material"], f"mesh {key!r}")
            prims.append(new)
        meshes.append({"name": str(mesh.get("name", key)), "primitives": prims})
    out["meshes"] = meshes

    nodes: list[dict[str, Any]] = []
    extra_nodes: list[dict[str, Any]] = []  # 1.0 nodes may hold several meshes; 2.0 nodes one
    count = len(doc.get("nodes") or {})
    for key, node in (doc.get("nodes") or {}).items():
        new = {"name": str(node.get("name", key))}
        for field in ("matrix", "translation", "rotation", "scale"):
            if field in node:
                new[field] = node[field]
        children = [ref("nodes", c, f"node {key!r}") for c in node.get("children") or []]
        node_meshes = [ref("meshes", m, f"node {key!r}") for m in node.get("meshes") or []]
        if node.get("mesh") is not None:
            node_meshes.insert(0, ref("meshes", node["mesh"], f"node {key!r}"))
        if node_meshes:
            new["mesh"] = node_meshes[0]
        for m in node_meshes[1:]:
            children.append(count + len(extra_nodes))
            extra_nodes.append({"mesh": m})
        if children:
            new["children"] = children
        nodes.append(new)
    out["nodes"] = nodes + extra_nodes
    out["scenes"] = [{"nodes": [ref("nodes", n, f"scene {key!r}") for n in s.get("nodes") or []]}
                     for key, s in (doc.get("scenes") or {}).items()]
    if doc.get("scene") is not None:
        out["scene"] = ref("scenes", doc["scene"], "scene")
    elif out["scenes"]:
        out["scene"] = 0

    out["materials"] = [_material(m, ids["textures"]) for m in (doc.get("materials") or {}).values()]
    out["images"] = [_image(im, ids["bufferViews"], base_dir) for im in (doc.get("images") or {}).values()]
    out["samplers"] = [{k: s[k] for k in ("magFilter", "minFilter", "wrapS", "wrapT") if k in s}
                       for s in (doc.get("samplers") or {}).values()]
    out["textures"] = [{k: v for k, v in (("source", ids["images"].get(t.get("source"))),
                                          ("sampler", ids["samplers"].get(t.get("sampler")))) if v is not None}
                       for t in (doc.get("textures") or {}).values()]
    for section in ("materials", "images", "samplers", "textures"):
        if not out[section]:
            del out[section]
    dropped = [name for name in DROPPED if doc.get(name)]
    if dropped:
        warnings.warn(f"Object3D: the glTF 1.0 file was upgraded to glTF 2.0 for the viewer without its "
                      f"{', '.join(dropped)} (glTF 2.0 has no equivalent the viewer draws)", stacklevel=4)
    return out


def _image(image: dict[str, Any], views: dict[str, int], base_dir: str | None) -> dict[str, Any]:
    binary = (image.get("extensions") or {}).get("KHR_binary_glTF")
    if isinstance(binary, dict) and binary.get("bufferView") in views:
        return {"bufferView": views[binary["bufferView"]], "mimeType": str(binary.get("mimeType", "image/png"))}
    return {"uri": _inline(str(image.get("uri", "")), base_dir)}


def is_glb1(data: bytes) -> bool:
    return len(data) >= 20 and data[:4] == b"glTF" and struct.unpack_from("<I", data, 4)[0] == 1


def upgrade_glb(data: bytes) -> bytes:
    """A binary glTF 1.0 (GLB version 1: a 20-byte header, the JSON scene, the body) as a GLB
    version 2 of the upgraded scene."""
    _, _, length, content_length, content_format = struct.unpack_from("<4sIIII", data, 0)
    if content_format != 0 or 20 + content_length > len(data):
        raise ValueError("Object3D: the glb file (binary glTF 1.0) has a malformed header")
    try:
        doc = json.loads(data[20:20 + content_length])
    except ValueError as e:
        raise ValueError(f"Object3D: the glb file's (binary glTF 1.0) scene is not valid JSON ({e})") from e
    body = data[20 + content_length:length]
    scene = json.dumps(upgrade(doc), separators=(",", ":")).encode("utf-8")
    scene += b" " * (-len(scene) % 4)
    body += b"\0" * (-len(body) % 4)
    chunks = struct.pack("<II", len(scene), 0x4E4F534A) + scene
    if body:
        chunks += struct.pack("<II", len(body), 0x004E4942) + body
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


def _material(material: dict[str, Any], textures: dict[str, int]) -> dict[str, Any]:
    """A 1.0 material's diffuse colour or texture as a 2.0 metallic-roughness material."""
    values = dict(material.get("values") or {})
    common = (material.get("extensions") or {}).get("KHR_materials_common") or {}
    values.update(common.get("values") or {})
    pbr: dict[str, Any] = {"metallicFactor": 0.0, "roughnessFactor": 1.0}
    diffuse = values.get("diffuse")
    if isinstance(diffuse, list) and len(diffuse) in (3, 4):
        pbr["baseColorFactor"] = [float(v) for v in diffuse] + ([1.0] if len(diffuse) == 3 else [])
    elif isinstance(diffuse, str) and diffuse in textures:
        pbr["baseColorTexture"] = {"index": textures[diffuse]}
    out: dict[str, Any] = {"pbrMetallicRoughness": pbr}
    if material.get("name") is not None:
        out["name"] = str(material["name"])
    return out
