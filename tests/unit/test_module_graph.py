"""The shape of ``src/runyard``: no import cycle between its modules, and no module over 800 lines.

The import graph is read from the source with ``ast`` (nothing is imported). An edge ``a -> b``
is an ``import`` or ``from ... import`` of ``b`` that runs when ``a`` is imported: at module level,
including inside module-level ``if``/``try`` blocks and class bodies. NOT counted: imports inside
functions (how the package loads its optional, heavy dependencies and its CLI lazily, so that
``import runyard`` stays light; they run only when called, after every module involved has
loaded), and ``if TYPE_CHECKING:`` blocks (they never run; a back-reference for a type hint, such
as a helper naming the ``Run`` that owns it, is not a dependency). ``from pkg import name``
counts as an edge to ``pkg.name`` when that is a module, else to ``pkg`` (its ``__init__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    mods = {}
    for f in sorted((SRC / "runyard").rglob("*.py")):
        parts = list(f.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = f
    return mods


def _module_level(tree: ast.Module) -> list[ast.stmt]:
    """Statements that run when the module is imported: the body, and the bodies of its
    top-level ``if``/``try`` blocks and classes (not functions, not ``if TYPE_CHECKING:``)."""
    out: list[ast.stmt] = []
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                todo.extend(node.orelse)
            else:
                todo.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            todo.extend(node.body + node.orelse + node.finalbody)
            for h in node.handlers:
                todo.extend(h.body)
        elif isinstance(node, ast.ClassDef):
            todo.extend(n for n in node.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return out


def import_graph() -> dict[str, set[str]]:
    mods = _modules()

    def known(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in _module_level(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in mods else origin for a in node.names]
            for t in targets:
                found = known(t) if t.startswith("runyard") else None
                if found is not None and found != mod:
                    graph[mod].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a cycle path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(_path(graph, set(comp)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _path(graph: dict[str, set[str]], comp: set[str]) -> list[str]:
    """One cycle through a component, as ``[a, b, ..., a]``: a shortest way back to its first module."""
    start = min(comp)
    prev: dict[str, str] = {}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph[v] & comp):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, v, start]
            if w not in prev:
                prev[w] = v
                todo.append(w)
    return sorted(comp)


def test_the_import_graph_has_no_cycle() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_the_graph_reader_sees_a_cycle() -> None:
    graph = {"runyard.a": {"runyard.b"}, "runyard.b": {"runyard.c"}, "runyard.c": {"runyard.a"}, "runyard.d": set()}
    assert cycles(graph) == [["runyard.a", "runyard.b", "runyard.c", "runyard.a"]]
    real = import_graph()
    assert "runyard.sdk.run" in real["runyard.sdk.lifecycle"]  # module-level edges are read


def test_no_module_is_over_800_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in (SRC / "runyard").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them along a concept): {long}"
