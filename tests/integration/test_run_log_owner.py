"""The run log's one owner in real processes: resume never cuts damage in the middle, and one
process writes a run at a time (an OS lock, released when the holder dies)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import runyard
from runyard.log.framing import read_frames
from runyard.log.reader import LOG_NAME, SNAPSHOT_NAME


def script(code: str, root: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "RUNYARD_DIR": str(root)}
    return subprocess.Popen([sys.executable, "-c", "import runyard, sys, time, os\n" + code], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_resume_of_a_log_damaged_in_the_middle_keeps_every_intact_record(
        runs_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    proc = script("r = runyard.init(project='p', id='mid00001')\n"
                  "for i in range(1000): r.log({'i': i, 's': 'x' * 100})\nr._sync()\nos._exit(1)\n", runs_dir)
    proc.communicate(timeout=60)
    assert proc.returncode == 1
    log = runs_dir / "p" / "mid00001" / LOG_NAME
    (runs_dir / "p" / "mid00001" / SNAPSHOT_NAME).unlink(missing_ok=True)
    data = bytearray(log.read_bytes())
    offsets = [o for o, _ in read_frames(log)]
    hit = offsets[2] + 20  # inside the second row
    data[hit] ^= 0xFF
    log.write_bytes(bytes(data))
    run = runyard.init(project="p", id="mid00001", resume="allow")
    run.log({"i": 1000, "s": ""})
    run.finish()
    err = capfd.readouterr().err
    assert "found damage in the middle of its log" in err and "every record after it is still read" in err
    assert "dropped" not in err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", runyard.RunyardWarning)
        r = runyard.Api().run("p/mid00001")
        rows = [row["i"] for row in r.scan_history()]
    assert rows == [0, *range(2, 1001)]  # 999 intact rows, then the resumed one
    assert r.state == "finished"
    assert log.read_bytes()[: len(data)] == bytes(data)
    assert (runs_dir / "p" / "mid00001" / "damaged").is_dir()


def test_a_second_process_is_refused_naming_the_holder(runs_dir: Path) -> None:
    holder = script("r = runyard.init(project='p', id='lock0001')\nr.log({'a': 1})\nr._sync()\n"
                    "print('ready', flush=True)\ntime.sleep(60)\n", runs_dir)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        other = script("runyard.init(project='p', id='lock0001', resume='allow', settings={'lock_wait': 0.3})\n",
                       runs_dir)
        _, err = other.communicate(timeout=60)
        assert other.returncode != 0
        assert "run lock0001 is still running" in err
        assert f"pid {holder.pid} on {socket.gethostname()}" in err
    finally:
        holder.send_signal(signal.SIGKILL)  # the kernel releases the lock with the process
        holder.wait(10)
        assert holder.stdout is not None and holder.stderr is not None
        holder.stdout.close()
        holder.stderr.close()
    run = runyard.init(project="p", id="lock0001", resume="allow")
    run.log({"a": 2})
    run.finish()
    assert [r["a"] for r in runyard.Api().run("p/lock0001").scan_history()] == [1, 2]


def test_two_processes_resuming_one_run_never_interleave(runs_dir: Path) -> None:
    runyard.init(project="p", id="pair0001").finish()
    code = ("r = runyard.init(project='p', id='pair0001', resume='allow', settings={'lock_wait': 60})\n"
            "tag = sys.argv[-1] if len(sys.argv) > 1 else str(os.getpid())\n"
            "for i in range(3000): r.log({'who': os.getpid(), 'i': i})\n"
            "time.sleep(0.3)\nr.finish()\n")
    procs = [script(code, runs_dir) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    rows = list(runyard.Api().run("p/pair0001").scan_history())
    who = [r["who"] for r in rows]
    assert len(rows) == 6000 and sorted(set(who)) == sorted(p.pid for p in procs)
    first = who[0]
    assert who == [first] * 3000 + [w for w in who if w != first]  # one whole session after the other
    steps = [r["_step"] for r in rows]
    assert steps == sorted(steps) and len(set(steps)) == 6000
    assert [r["i"] for r in rows] == list(range(3000)) * 2


def test_a_lock_held_by_this_process_is_refused_too(runs_dir: Path) -> None:
    run = runyard.init(project="p", id="self0001")
    start = time.monotonic()
    with pytest.raises(runyard.UsageError, match=f"pid {os.getpid()}"):
        runyard.init(project="p", id="self0001", resume="allow", reinit="create_new", settings={"lock_wait": 0.2})
    assert time.monotonic() - start < 10
    run.finish()
