"""What a run records unasked: system metrics, code and environment, saved files and alerts —
in real subprocesses and real git repositories, read back from the run log."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import msgpack
import pytest

import runyard
from runyard.errors import RunyardWarning
from runyard.log.framing import read_frames
from runyard.log.reader import LOG_NAME, RunFolder
from runyard.log.records import Kind, decode
from runyard.sdk.sysmetrics import Sampler, _psutil_probes

FAST = {"system_metrics": True, "stats_sample_interval": 0.05, "stats_write_interval": 0.1}


def records(folder: str | Path, kind: int) -> list[list[Any]]:
    out = []
    for _, payload in read_frames(Path(folder) / LOG_NAME):
        r = decode(payload)
        if r[0] == kind:
            out.append(r)
    return out


def run_script(code: str, root: Path, cwd: Path | None = None, env: dict[str, str] | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    script = (cwd or root) / "train.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text("import runyard, sys, time, os\n" + textwrap.dedent(code))
    full_env = {**os.environ, "RUNYARD_DIR": str(root), "RUNYARD_SYSTEM_METRICS": "1",
                "RUNYARD_CAPTURE_ENVIRONMENT": "1", **(env or {})}
    return subprocess.run([sys.executable, str(script)], cwd=cwd or root, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


# -- system metrics --------------------------------------------------------------------------------


def test_system_rows_are_their_own_stream_keyed_by_wall_time(runs_dir: Path) -> None:
    run = runyard.init(project="p", settings=FAST)
    for i in range(5):
        run.log({"loss": 1.0 / (i + 1)})
    time.sleep(0.6)
    run.finish()
    rows = records(run.dir, Kind.SYSTEM)
    assert len(rows) >= 2
    assert [r[1] for r in rows] == list(range(len(rows)))  # sample numbers, not the user's steps
    stamps = [r[2] for r in rows]
    assert stamps == sorted(stamps) and stamps[0] >= run.start_time
    keys = set(rows[-1][4])
    for key in ("system/cpu.percent", "system/cpu.process_percent", "system/memory.used_mb",
                "system/memory.available_mb", "system/proc.rss_mb", "system/disk.used_mb",
                "system/disk.read_mb", "system/disk.write_mb", "system/network.recv_mb", "system/network.sent_mb"):
        assert key in keys
    assert all(isinstance(v, float) for v in rows[-1][4].values())
    assert rows[-1][4]["system/proc.rss_mb"] > 1
    state, _ = RunFolder(run.dir).load_state()
    assert state.last_step == 4 and state.rows == 5  # the user's history is untouched
    assert not any(k.startswith("system/") for k in state.summary.current())
    assert "system/cpu.percent" in state.key_kinds and state.system_samples == len(rows)


@pytest.mark.parametrize("settings", [{"x_disable_stats": True}, {"system_metrics": False}])
def test_system_metrics_can_be_turned_off(runs_dir: Path, settings: dict[str, Any]) -> None:
    run = runyard.init(project="p", settings={**FAST, **settings})
    time.sleep(0.3)
    run.finish()
    assert records(run.dir, Kind.SYSTEM) == []


def test_a_probe_that_raises_is_dropped_and_the_rest_go_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    calls = {"n": 0}

    def broken() -> dict[str, float]:
        calls["n"] += 1
        raise RuntimeError("driver went away")

    got: list[tuple[int, dict[str, float]]] = []
    sampler = Sampler(lambda no, ts, v: got.append((no, v)), 7, str(tmp_path), 0.05, 0.05,
                      probes=[("broken", broken), *_psutil_probes(str(tmp_path))])
    with caplog.at_level("DEBUG", logger="runyard.system"):
        sampler.start()
        time.sleep(0.4)
        sampler.stop()
    assert calls["n"] == 1  # dropped after its first failure
    assert [m for m in caplog.messages if "broken dropped" in m and "driver went away" in m]
    assert got and got[0][0] == 7 and "system/cpu.percent" in got[-1][1]


def test_no_nvidia_library_or_gpu_means_no_gpu_keys(runs_dir: Path) -> None:
    run = runyard.init(project="p", settings=FAST)
    time.sleep(0.3)
    run.finish()
    keys = {k for r in records(run.dir, Kind.SYSTEM) for k in r[4]}
    try:
        import pynvml

        pynvml.nvmlInit()
        gpus = pynvml.nvmlDeviceGetCount()
    except Exception:
        gpus = 0
    assert any(k.startswith("system/gpu.") for k in keys) == (gpus > 0)


def test_sampler_survives_fork_and_never_keeps_the_process_alive(runs_dir: Path) -> None:
    proc = run_script(
        """
        run = runyard.init(project="p", settings={"stats_sample_interval": 0.05, "stats_write_interval": 0.1})
        pid = os.fork()
        if pid == 0:
            time.sleep(0.5)
            os._exit(0)
        os.waitpid(pid, 0)
        print(time.time())
        time.sleep(0.3)
        runyard.log({"a": 1})
        """,
        runs_dir, timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    child_gone = float(proc.stdout.split()[-1])
    (folder,) = [p for p in (runs_dir / "p").iterdir() if p.is_dir()]
    rows = records(folder, Kind.SYSTEM)
    assert [r[1] for r in rows] == list(range(len(rows)))  # numbered once: nothing from the child
    assert max(r[2] for r in rows) > child_gone  # the parent went on sampling after the fork
    state, _ = RunFolder(folder).load_state()
    assert state.state == "finished"  # and exited at the end of the script without finish()


# -- code and environment ----------------------------------------------------------------------------


def _git_repo(path: Path) -> list[str]:
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    path.mkdir(parents=True)
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=path, check=True)
    subprocess.run([*git, "remote", "add", "origin", "https://example.com/repo.git"], cwd=path, check=True)
    (path / "model.py").write_text("x = 1\n")
    subprocess.run([*git, "add", "."], cwd=path, check=True)
    subprocess.run([*git, "commit", "-qm", "first"], cwd=path, check=True)
    return git


def test_code_git_packages_and_environment_are_recorded(tmp_path: Path, runs_dir: Path) -> None:
    repo = tmp_path / "repo"
    _git_repo(repo)
    (repo / "model.py").write_text("x = 2\n")  # uncommitted
    proc = run_script(
        """
        run = runyard.init(project="p", save_code=True, settings={"system_metrics": False})
        runyard.log({"a": 1})
        """,
        runs_dir, cwd=repo,
        env={"CUDA_VISIBLE_DEVICES": "0", "MY_API_KEY": "sk-123", "WANDB_API_KEY": "abc", "HF_TOKEN": "t0k",
             "SLURM_JOB_ID": "42", "SECRET_PASSWORD_X": "pw"},
    )
    assert proc.returncode == 0, proc.stderr
    (folder,) = [p for p in (runs_dir / "p").iterdir() if p.is_dir()]
    meta = RunFolder(folder).load_state()[0].metadata
    git = meta["git"]
    assert git["remote"] == "https://example.com/repo.git" and git["branch"] == "main" and git["dirty"] is True
    assert len(git["commit"]) == 40
    patch = (folder / "files" / "diff.patch").read_text()
    assert "-x = 1" in patch and "+x = 2" in patch
    reqs = (folder / "files" / "requirements.txt").read_text().splitlines()
    assert any(line.lower().startswith("msgpack==") for line in reqs) and meta["packages"]["count"] == len(reqs)
    env = meta["environment"]["env"]
    assert env["CUDA_VISIBLE_DEVICES"] == "0" and env["SLURM_JOB_ID"] == "42"
    log_bytes = (folder / LOG_NAME).read_bytes()
    for secret in ("sk-123", "abc", "t0k", "pw"):
        assert msgpack.packb(secret) not in log_bytes
    assert not any(k in env for k in ("MY_API_KEY", "WANDB_API_KEY", "HF_TOKEN", "SECRET_PASSWORD_X"))
    assert meta["environment"]["hardware"]["cpu_count"] == os.cpu_count()
    assert (folder / "files" / "code" / "train.py").read_text().startswith("import runyard")
    assert meta["code"]["main"] == "train.py"


def test_a_huge_diff_is_cut_with_a_line_saying_so(tmp_path: Path, runs_dir: Path) -> None:
    repo = tmp_path / "repo"
    _git_repo(repo)
    (repo / "model.py").write_text("".join(f"line {i}\n" for i in range(20_000)))
    proc = run_script(
        """
        run = runyard.init(project="p", settings={"system_metrics": False, "max_diff_bytes": 5000})
        """,
        runs_dir, cwd=repo,
    )
    assert proc.returncode == 0, proc.stderr
    (folder,) = [p for p in (runs_dir / "p").iterdir() if p.is_dir()]
    patch = (folder / "files" / "diff.patch").read_bytes()
    assert len(patch) < 5200 and b"the diff was cut at 5,000 of its" in patch
    meta = RunFolder(folder).load_state()[0].metadata
    assert meta["git"]["diff_truncated"]["kept"] == 5000 and meta["git"]["diff_truncated"]["total"] > 100_000


def test_secret_command_line_values_are_redacted(runs_dir: Path) -> None:
    proc = run_script("runyard.init(project='p')\n", runs_dir)
    assert proc.returncode == 0
    from runyard.sdk.capture import redact_args

    assert redact_args(["--lr", "0.1", "--api-key", "sk-1", "--token=abc", "x"]) == \
        ["--lr", "0.1", "--api-key", "<redacted>", "--token=<redacted>", "x"]


def test_log_code_stores_matching_files_and_caps_the_tree(tmp_path: Path, runs_dir: Path) -> None:
    src = tmp_path / "proj"
    (src / "pkg").mkdir(parents=True)
    (src / ".venv").mkdir()
    (src / ".venv" / "hidden.py").write_text("no")
    (src / "main.py").write_text("print('main')\n")
    (src / "pkg" / "mod.py").write_text("A = 1\n" * 100)
    (src / "pkg" / "notes.txt").write_text("not code")
    (src / "pkg" / "big.py").write_text("B = 2\n" * 10_000)
    run = runyard.init(project="p", settings={"max_code_bytes": 2000})
    found = run.log_code(str(src), exclude_fn=lambda path, root: path.endswith("big.py"))
    assert sorted(found["files"]) == ["main.py", "pkg/mod.py"]
    code = Path(run.dir) / "files" / "code"
    assert (code / "pkg" / "mod.py").read_text() == "A = 1\n" * 100
    assert not (code / ".venv").exists() and not (code / "pkg" / "notes.txt").exists()
    capped = run.log_code(str(src), include_fn=lambda p: p.endswith(".py"))
    assert capped["left_out"] == 1
    assert "pkg/big.py" in (Path(run.dir) / "files" / "code-left-out.txt").read_text()
    run.finish()
    assert RunFolder(run.dir).load_state()[0].metadata["code_tree"]["left_out"] == 1


# -- files ---------------------------------------------------------------------------------------------


def test_save_policies_now_live_end(tmp_path: Path, runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    (work / "ckpt").mkdir(parents=True)
    monkeypatch.chdir(work)
    (work / "ckpt" / "a.txt").write_text("now-1")
    (work / "live.txt").write_text("v1")
    run = runyard.init(project="p")
    files = Path(run.dir) / "files"
    assert run.save("ckpt/*.txt", policy="now") == ["a.txt"]
    assert runyard.save("ckpt/*.txt", base_path=str(work), policy="now") == ["ckpt/a.txt"]
    (work / "ckpt" / "a.txt").write_text("now-2")  # 'now' does not follow changes
    assert run.save("live.txt") == ["live.txt"]
    run.save("end-*.txt", policy="end")
    (work / "end-1.txt").write_text("at the end")
    time.sleep(0.05)
    (work / "live.txt").write_text("v2 longer")
    deadline = time.time() + 5
    while (files / "live.txt").read_text() != "v2 longer" and time.time() < deadline:
        time.sleep(0.1)
    assert (files / "live.txt").read_text() == "v2 longer"
    assert not (files / "end-1.txt").exists()
    run.finish()
    assert (files / "a.txt").read_text() == "now-1"
    assert (files / "end-1.txt").read_text() == "at the end"
    with pytest.raises(ValueError, match="policy must be"):
        runyard.init(project="p").save("x", policy="sometimes")
    again = runyard.init(project="p")
    again.name = "renamed"
    with pytest.warns(RunyardWarning, match="without a file pattern stores nothing"):
        assert again.save() == [] and runyard.save() == []  # wandb's old way to persist edits
    again.finish()
    assert runyard.Api().run(f"p/{again.id}").name == "renamed"
    assert not (Path(again.dir) / "files").exists() or not any((Path(again.dir) / "files").iterdir())


def test_an_unreadable_file_is_named_and_the_run_goes_on(tmp_path: Path, runs_dir: Path,
                                                          capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (tmp_path / "ok.txt").write_text("fine")
    run = runyard.init(project="p")
    stored = run.save(str(tmp_path / "*.txt"), policy="now")
    assert stored == ["ok.txt"]
    err = capfd.readouterr().err
    assert "cannot read" in err and "dangling.txt" in err and "the run goes on" in err
    run.log({"a": 1})
    run.finish()
    assert RunFolder(run.dir).load_state()[0].state == "finished"


def test_restore_from_this_run_and_another(tmp_path: Path, runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "weights.txt").write_text("w=1")
    first = runyard.init(project="p", id="first")
    first.save("weights.txt", policy="now")
    first.finish()
    with runyard.restore("weights.txt", run_path="p/first", root=str(tmp_path / "out")) as f:
        assert f.read() == "w=1"
    second = runyard.init(project="p", id="second")
    with runyard.restore("weights.txt", run_path="local/p/first") as f:
        assert f.read() == "w=1"
    assert (Path(second.dir) / "files" / "weights.txt").read_text() == "w=1"
    with pytest.raises(ValueError, match=r"no file 'nope.bin' in .*first.*it holds weights.txt"):
        runyard.restore("nope.bin", run_path="p/first")
    with pytest.raises(ValueError, match="no run 'zzz' in project 'p'"):
        runyard.restore("weights.txt", run_path="p/zzz")


# -- alerts -----------------------------------------------------------------------------------------


def test_alerts_are_recorded_printed_and_throttled(runs_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    run = runyard.init(project="p")
    runyard.alert("Loss exploded", "loss is 1e9 at step 3", level=runyard.AlertLevel.ERROR)
    run.alert("Loss exploded", "again", level="ERROR")  # within wait_duration: skipped
    run.alert("Slow", "epoch took 2 h", level="warn", wait_duration=0)
    with pytest.raises(ValueError, match="level must be"):
        run.alert("x", "y", level="LOUD")
    run.finish()
    err = capfd.readouterr().err
    assert "alert [ERROR] Loss exploded: loss is 1e9 at step 3" in err and "skipped" in err
    alerts = RunFolder(run.dir).load_state()[0].alerts
    assert [(a["title"], a["level"]) for a in alerts] == [("Loss exploded", "ERROR"), ("Slow", "WARN")]


def test_disabled_runs_accept_the_calls_and_store_nothing(runs_dir: Path) -> None:
    run = runyard.init(project="p", mode="disabled")
    assert runyard.save("*.txt") == [] and run.log_code(".")["files"] == []
    runyard.alert("t", "x")
    run.finish()
    assert not runs_dir.exists() or not any(runs_dir.rglob("*.rylog"))


def test_a_resumed_run_continues_the_sample_count(runs_dir: Path) -> None:
    run = runyard.init(project="p", id="again", settings=FAST)
    time.sleep(0.3)
    run.finish()
    first = len(records(run.dir, Kind.SYSTEM))
    run = runyard.init(project="p", id="again", resume="allow", settings=FAST)
    time.sleep(0.3)
    run.finish()
    rows = records(run.dir, Kind.SYSTEM)
    assert first >= 1 and len(rows) > first
    assert [r[1] for r in rows] == list(range(len(rows)))
