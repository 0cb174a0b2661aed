"""The SDK's modules form no import cycle (imports inside functions count too), and a forked
child gets fresh locks and queues instead of ones a parent thread may hold."""

from __future__ import annotations

import ast
import os
import threading
from pathlib import Path

import pytest

import runyard

SDK = Path(runyard.__file__).parent / "sdk"
CORE = ("run", "lifecycle", "disabled", "history")


def _imports(module: str) -> set[str]:
    tree = ast.parse((SDK / f"{module}.py").read_text())
    for node in ast.walk(tree):  # imports for type checkers only do not run
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("runyard.sdk."):
            out.add(node.module.split(".")[2])
    return out


def test_no_import_cycle_among_run_lifecycle_disabled_history() -> None:
    modules = {p.stem for p in SDK.glob("*.py")}
    graph = {m: _imports(m) & modules for m in modules}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            for n in graph.get(m, ()):
                if n == goal:
                    return True
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return False

    cycles = [m for m in CORE if reaches(m, m)]
    assert not cycles, f"import cycles through {cycles}: {({m: sorted(graph[m]) for m in CORE})}"


def test_history_does_not_write_the_runs_private_fields() -> None:
    source = (SDK / "history.py").read_text()
    assert "run._" not in source and "._run._" not in source


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_while_a_thread_holds_the_runs_lock_does_not_hang() -> None:
    run = runyard.init(project="p")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with run._lock:
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread (and its hold on the lock) does not exist here
        try:
            row = run.history.row  # takes the run's lock
            row["x"] = 1
            run.log({"a": 1})  # refused quietly: the run belongs to the parent
            os._exit(0)
        except BaseException:
            os._exit(3)
    release.set()
    t.join()
    deadline = 20.0
    while deadline > 0:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        threading.Event().wait(0.1)
        deadline -= 0.1
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung on a lock held by the parent's thread")
    assert os.WEXITSTATUS(status) == 0
    run.log({"a": 2})
    run.finish()
    assert [r["a"] for r in runyard.Api().run(run.path).scan_history()] == [2]
