"""Graph (docs/media-refs.md, graph-file): wandb's model-graph data type, stored and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import runyard
from runyard.types.graph import Graph, Node


def test_graph_builds_logs_and_reads_back() -> None:
    graph = Graph(format="torch")
    a = graph.add_node(Node("a", "Linear", class_name="Linear", size=[4, 8], num_parameters=40))
    b = graph.add_node(id="b", name="ReLU")
    graph.add_edge(a, b)
    assert graph["b"] is b and a.size == (4, 8) and b.class_name is None
    assert a.out_edges["b"].to_node is b and b.in_edges["a"].from_node is a
    expected = {"format": "torch", "edges": [["a", "b"]],
                "nodes": [{"id": "a", "name": "Linear", "class_name": "Linear", "size": (4, 8), "num_parameters": 40},
                          {"id": "b", "name": "ReLU"}]}
    assert graph._to_graph_json() == expected
    with pytest.raises(ValueError, match="id 'a' is already in the graph"):
        graph.add_node(Node("a", "again"))
    with pytest.raises(ValueError, match="add node 'z' with add_node"):
        graph.add_edge(a, Node("z"))

    run = runyard.init(project="graphs")
    run.log({"model": graph})
    graph.add_node(id="later", name="not logged")  # what was logged is the graph at log()
    bad = Graph()
    bad.add_node(Node("x", "x", parameters=[object()]))
    with pytest.raises(TypeError, match="a node attribute cannot be stored as JSON"):
        run.log({"bad": bad})  # refused on the caller's thread; the run goes on
    run.log({"after": 1})
    run.finish()
    view = runyard.Api().run(run.path).summary["model"]
    doc = json.loads(view.read_bytes())
    assert view.kind == "graph-file" and doc["edges"] == [["a", "b"]]
    assert doc["nodes"][0] == {"id": "a", "name": "Linear", "class_name": "Linear", "size": [4, 8], "num_parameters": 40}
    assert len(doc["nodes"]) == 2 and runyard.Api().run(run.path).summary["after"] == 1


def test_graph_with_a_value_json_cannot_hold_is_a_clear_error(tmp_path: Path) -> None:
    from runyard.types.base import MediaStore

    graph = Graph()
    graph.add_node(Node("a", "x", parameters=[("w", object())]))
    with pytest.raises(TypeError, match="a node attribute cannot be stored as JSON"):
        graph.to_ref(MediaStore(tmp_path))
