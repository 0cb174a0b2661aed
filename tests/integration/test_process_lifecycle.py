"""Exit behaviour in real subprocesses: flush at exit, SIGKILL, uncaught exceptions,
fork, resume, and the reader's view of each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import runyard

PRELUDE = "import runyard as wandb, sys, time, os\n"


def run_script(code: str, root: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNYARD_DIR": str(root), "RUNYARD_CONSOLE": "wrap"}
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)], env=env, capture_output=True,
        text=True, timeout=timeout,
    )


def only_run(root: Path, project: str = "p") -> runyard.ApiRun:
    runs = runyard.Api(root).runs(project)
    assert len(runs) == 1
    return runs[0]


def test_rows_are_flushed_at_interpreter_exit_without_finish(runs_dir: Path) -> None:
    proc = run_script(
        """
        wandb.init(project="p")
        for i in range(50_000):
            wandb.log({"i": i, "x": i * 0.5})
        print("done logging")
        """,
        runs_dir,
    )
    assert proc.returncode == 0, proc.stderr
    run = only_run(runs_dir)
    assert run.state == "finished"
    assert run.history_rows == 50_000 and run.summary["i"] == 49_999
    assert "done logging" in run.output()


def test_uncaught_exception_marks_the_run_failed(runs_dir: Path) -> None:
    proc = run_script(
        """
        run = wandb.init(project="p")
        wandb.log({"a": 1})
        raise RuntimeError("boom in training")
        """,
        runs_dir,
    )
    assert proc.returncode == 1 and "boom in training" in proc.stderr
    run = only_run(runs_dir)
    assert run.state == "failed" and run.exit_code == 1
    assert "RuntimeError: boom in training" in (run.error or "")
    assert run.history_rows == 1
    assert "boom in training" in run.output()  # the traceback went to the captured stderr too


def test_with_block_finishes_and_exceptions_fail(runs_dir: Path) -> None:
    proc = run_script(
        """
        with wandb.init(project="p", id="okrun001") as run:
            run.log({"a": 1})
        assert wandb.run is None
        try:
            with wandb.init(project="p", id="badrun01") as run:
                run.log({"a": 1})
                raise ValueError("inside with")
        except ValueError:
            pass
        """,
        runs_dir,
    )
    assert proc.returncode == 0, proc.stderr
    api = runyard.Api(runs_dir)
    assert api.run("p/okrun001").state == "finished"
    bad = api.run("p/badrun01")
    assert bad.state == "failed" and "inside with" in (bad.error or "")


def test_finish_exit_code_nonzero_is_failed(runs_dir: Path) -> None:
    proc = run_script('wandb.init(project="p"); wandb.finish(exit_code=3)', runs_dir)
    assert proc.returncode == 0, proc.stderr
    run = only_run(runs_dir)
    assert run.state == "failed" and run.exit_code == 3


def test_sigkill_keeps_rows_logged_a_second_before_and_resume_continues(runs_dir: Path) -> None:
    env = {**os.environ, "RUNYARD_DIR": str(runs_dir)}
    code = PRELUDE + textwrap.dedent(
        """
        run = wandb.init(project="p", id="killme01")
        i = 0
        t0 = time.time()
        while True:
            wandb.log({"i": i, "t": time.time()})
            i += 1
            if i % 1000 == 0:
                print(i, time.time(), flush=True)
            time.sleep(0.0001)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    progress = []
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        n, t = line.split()
        progress.append((int(n), float(t)))
        if progress[-1][1] - progress[0][1] > 2.5:
            break
    kill_time = time.time()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    run = runyard.Api(runs_dir).run("p/killme01")
    assert run.state == "crashed"
    rows = list(run.scan_history())
    logged_before = max(n for n, t in progress if t < kill_time - 1.0)
    assert len(rows) >= logged_before
    assert [r["i"] for r in rows] == list(range(len(rows)))
    assert all(r["t"] < kill_time for r in rows)

    proc2 = run_script(
        """
        run = wandb.init(project="p", id="killme01", resume="allow")
        assert run.resumed
        start = run.step
        wandb.log({"i": -1})
        print("resumed at", start)
        """,
        runs_dir,
    )
    assert proc2.returncode == 0, proc2.stderr
    run = runyard.Api(runs_dir).run("p/killme01")
    assert run.state == "finished"
    rows = list(run.scan_history())
    assert rows[-1]["i"] == -1 and rows[-1]["_step"] == rows[-2]["_step"] + 1
    assert f"resumed at {rows[-1]['_step']}" in proc2.stdout


def test_a_running_run_reads_as_running_not_crashed(runs_dir: Path) -> None:
    code = PRELUDE + 'wandb.init(project="p", id="alive001"); wandb.log({"a": 1}); print("ready", flush=True); time.sleep(30)'
    env = {**os.environ, "RUNYARD_DIR": str(runs_dir)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        assert runyard.Api(runs_dir).run("p/alive001").state == "running"
        with pytest.raises(runyard.UsageError, match=f"still running.*pid {proc.pid} on .*waited 1 s"):
            runyard.init(project="p", id="alive001", resume="allow", dir=runs_dir, settings={"lock_wait": 0.6})
    finally:
        proc.kill()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    assert runyard.Api(runs_dir).run("p/alive001").state == "crashed"


def test_forked_child_does_not_write_into_the_parents_log(runs_dir: Path) -> None:
    proc = run_script(
        """
        run = wandb.init(project="p")
        wandb.log({"parent": 1})
        pid = os.fork()
        if pid == 0:
            wandb.log({"child": 1})
            wandb.finish()
            print("child says hello")
            os._exit(0)
        os.waitpid(pid, 0)
        wandb.log({"parent": 2})
        wandb.finish()
        """,
        runs_dir,
    )
    assert proc.returncode == 0, proc.stderr
    assert "forked child" in proc.stderr and "does nothing" in proc.stderr
    run = only_run(runs_dir)
    rows = list(run.scan_history())
    assert [r.get("parent") for r in rows] == [1, 2]
    assert all("child" not in r for r in rows)
    assert run.state == "finished"
    assert "child says hello" not in run.output()


def test_resume_rules(runs_dir: Path) -> None:
    run = runyard.init(project="p", id="fixedid1")
    run.log({"a": 1})
    run.finish()
    with pytest.raises(runyard.UsageError, match="already exists.*resume='allow'"):
        runyard.init(project="p", id="fixedid1")
    with pytest.raises(runyard.UsageError, match="no run 'nothere1'"):
        runyard.init(project="p", id="nothere1", resume="must")
    run = runyard.init(project="p", id="fixedid1", resume="must", config={"extra": 1})
    run.log({"a": 2})
    run.finish()
    r = runyard.Api().run("p/fixedid1")
    assert [row["a"] for row in r.scan_history()] == [1, 2]
    assert [row["_step"] for row in r.scan_history()] == [0, 1]
    assert r.config == {"extra": 1} and r.state == "finished"


def test_console_output_is_captured_and_terminal_unchanged(runs_dir: Path) -> None:
    proc = run_script(
        """
        wandb.init(project="p")
        print("hello stdout")
        print("partial", end="")
        sys.stderr.write("hello stderr\\n")
        wandb.finish()
        print("after finish")
        """,
        runs_dir,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hello stdout\npartialafter finish\n"
    assert proc.stderr == "hello stderr\n"
    out = only_run(runs_dir).output()
    assert "hello stdout\n" in out and "hello stderr\n" in out and "partial" in out
    assert "after finish" not in out


def test_git_metadata_is_captured(tmp_path: Path, runs_dir: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "remote", "add", "origin", "https://example.com/x.git"], cwd=repo, check=True)
    (repo / "f.txt").write_text("x")
    subprocess.run([*git, "add", "f.txt"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "c"], cwd=repo, check=True)
    (repo / "f.txt").write_text("changed")
    env = {**os.environ, "RUNYARD_DIR": str(runs_dir), "RUNYARD_CAPTURE_ENVIRONMENT": "1"}
    subprocess.run([sys.executable, "-c", PRELUDE + 'wandb.init(project="p"); wandb.finish()'], cwd=repo,
                   env=env, check=True, timeout=60)
    meta = only_run(runs_dir).metadata
    assert meta["git"]["remote"] == "https://example.com/x.git"
    assert len(meta["git"]["commit"]) == 40 and meta["git"]["dirty"] is True
    assert meta["cwd"] == str(repo)
