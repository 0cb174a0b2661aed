"""``Graph`` (docs/media-refs.md, ``graph-file``): a model graph as wandb's ``wandb.Graph`` builds
it — nodes with their attributes and edges between node ids — stored as one JSON file.

runyard's UI does not draw model graphs: a logged graph is stored (and read back with its
nodes and edges) and the media panel links its JSON file.

Reference: ``{"_type": "graph-file", "path", "sha256", "size"}``; the file is
``{"format": ..., "nodes": [{"id", "name", ...}], "edges": [[from_id, to_id], ...]}``.
"""

from __future__ import annotations

import json
from typing import Any

from .base import Media, MediaStore

NODE_FIELDS = ("id", "name", "class_name", "size", "parameters", "output_shape", "is_output", "num_parameters")


class Node:
    """A node of a ``Graph``: ``id`` (unique in the graph), ``name``, and optionally
    ``class_name``, ``size``, ``parameters``, ``output_shape``, ``is_output``, ``num_parameters``.
    ``node=`` copies another node's attributes."""

    def __init__(self, id: Any = None, name: Any = None, class_name: Any = None, size: Any = None,
                 parameters: Any = None, output_shape: Any = None, is_output: Any = None,
                 num_parameters: Any = None, node: Node | None = None) -> None:
        self._attributes: dict[str, Any] = dict(node._attributes) if node is not None else {"name": None}
        given = {"id": id, "name": name, "class_name": class_name, "size": size, "parameters": parameters,
                 "output_shape": output_shape, "is_output": is_output, "num_parameters": num_parameters}
        for key, value in given.items():
            if value is not None:
                self._attributes[key] = tuple(value) if key == "size" else value
        self.in_edges: dict[Any, Edge] = {}  # by source node id
        self.out_edges: dict[Any, Edge] = {}  # by destination node id

    def __getattr__(self, name: str) -> Any:
        if name in NODE_FIELDS:
            return self.__dict__["_attributes"].get(name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in NODE_FIELDS:
            self._attributes[name] = tuple(value) if name == "size" and value is not None else value
        else:
            super().__setattr__(name, value)

    def to_json(self, run: Any = None) -> dict[str, Any]:
        return self._attributes

    def __repr__(self) -> str:
        return repr(self._attributes)


class Edge:
    """An edge ``from_node → to_node`` of a ``Graph``."""

    def __init__(self, from_node: Node, to_node: Node) -> None:
        self.from_node, self.to_node = from_node, to_node

    def to_json(self, run: Any = None) -> list[Any]:
        return [self.from_node.id, self.to_node.id]

    def __repr__(self) -> str:
        return f"Edge({self.from_node.id!r} → {self.to_node.id!r})"


class Graph(Media):
    """A model graph: ``add_node(Node(...))`` or ``add_node(id=..., name=...)``, then
    ``add_edge(a, b)``; ``graph[id]`` is a node. ``format`` is how wandb's UI would lay it out
    (``"keras"`` or ``"torch"``); runyard stores it as given."""

    _type = "graph-file"

    def __init__(self, format: str = "keras") -> None:
        self.format = format
        self.nodes: list[Node] = []
        self.nodes_by_id: dict[Any, Node] = {}
        self.edges: list[Edge] = []
        self._encoded: bytes | None = None

    def add_node(self, node: Node | None = None, **kwargs: Any) -> Node:
        node = node if node is not None else Node(**kwargs)
        if node.id is not None and node.id in self.nodes_by_id:
            raise ValueError(f"Graph: a node with id {node.id!r} is already in the graph; node ids are unique")
        if node.id is not None:
            self.nodes_by_id[node.id] = node
        self.nodes.append(node)
        return node

    def add_edge(self, from_node: Node, to_node: Node) -> Edge:
        for end in (from_node, to_node):
            if end not in self.nodes:
                raise ValueError(f"Graph: add node {end.id!r} with add_node before an edge to or from it")
        edge = Edge(from_node, to_node)
        from_node.out_edges[to_node.id] = edge
        to_node.in_edges[from_node.id] = edge
        self.edges.append(edge)
        return edge

    def __getitem__(self, node_id: Any) -> Node:
        return self.nodes_by_id[node_id]

    def _to_graph_json(self, run: Any = None) -> dict[str, Any]:
        """The graph as wandb writes it: ``{"format", "nodes", "edges"}``."""
        return {"format": self.format, "nodes": [n.to_json() for n in self.nodes],
                "edges": [e.to_json() for e in self.edges]}

    def _encode(self) -> bytes:
        try:
            return json.dumps(self._to_graph_json(), separators=(",", ":"), allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise TypeError(f"Graph: a node attribute cannot be stored as JSON ({e}); use numbers, strings, "
                            "lists and dicts") from e

    def snapshot(self) -> Graph:
        """Encoded on the caller's thread when logged: a bad attribute is an error at ``log()``, and
        nodes added afterwards do not change what was logged."""
        frozen = Graph(self.format)
        frozen._encoded = self._encode()
        return frozen

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        data = getattr(self, "_encoded", None) or self._encode()
        return {"_type": self._type, **store.put_bytes("graph", data, "graph.json")}

    def __repr__(self) -> str:
        return f"<runyard.Graph {len(self.nodes)} nodes, {len(self.edges)} edges>"
