"""``runyard artifact ls | get | put | cache cleanup`` on real folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import runyard
from runyard.artifacts.context import reset_contexts
from runyard.cli import main


@pytest.fixture(autouse=True)
def _contexts() -> Iterator[None]:
    yield
    runyard.unset()
    reset_contexts()


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_put_ls_get(tmp_path: Path, runs_dir: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("alpha")
    (data / "b.bin").write_bytes(os.urandom(3 << 20))  # big enough for a progress bar
    out = invoke("artifact", "put", str(data), "--name", "proj/ds", "--alias", "first", "-d", "raw files")
    assert "local/proj/ds:v0 (first, latest): 2 files" in out
    assert "proj  " in invoke("artifact", "ls") and "ds" in invoke("artifact", "ls", "proj")
    versions = invoke("artifact", "ls", "proj/ds")
    assert "v0" in versions and "first,latest" in versions
    dest = tmp_path / "dl"
    out = invoke("artifact", "get", "proj/ds:first", "--root", str(dest))
    assert str(dest) in out
    assert (dest / "b.bin").read_bytes() == (data / "b.bin").read_bytes()
    art = runyard.Api().artifact("proj/ds:v0")
    assert art.description == "raw files" and art.logged_by().job_type == "artifact-put"


def test_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(main, ["artifact", "get", "proj/none:v1"])
    assert bad.exit_code == 1 and "no artifact 'none' in project 'proj'" in bad.output
    f = tmp_path / "x.txt"
    f.write_text("x")
    bad = runner.invoke(main, ["artifact", "put", str(f), "--name", "noproject"])
    assert bad.exit_code == 1 and "PROJECT/NAME" in bad.output
    bad = runner.invoke(main, ["artifact", "put", str(f), "--name", "p/bad name"])
    assert bad.exit_code == 1 and "'bad name' is not valid" in bad.output


def test_cache_cleanup_removes_only_unreferenced_blobs(tmp_path: Path, runs_dir: Path) -> None:
    f = tmp_path / "keep.txt"
    f.write_text("keep me")
    invoke("artifact", "put", str(f), "--name", "proj/keep")
    from runyard.artifacts.context import context

    ctx = context()
    orphan = ctx.blobs.put_bytes(b"left by a killed upload").digest
    fresh_orphan = ctx.blobs.put_bytes(b"an upload still running").digest
    old = 1_000_000.0
    os.utime(ctx.blobs.local_path(orphan), (old, old))  # type: ignore[attr-defined, arg-type]
    stray = runs_dir / ".blobs" / "tmp" / ".blob-stray"
    stray.write_bytes(b"half")
    os.utime(stray, (old, old))
    out = invoke("artifact", "cache", "cleanup", "--dry-run")
    assert "Would remove 1 unreferenced blob(s)" in out and ctx.blobs.has(orphan)
    out = invoke("artifact", "cache", "cleanup")
    assert "Removed 1 unreferenced blob(s), 23 B, and 1 temporary file(s); 3 blob(s) are in use." in out
    assert not ctx.blobs.has(orphan) and ctx.blobs.has(fresh_orphan) and not stray.exists()
    art = runyard.Api().artifact("proj/keep:v0")
    assert Path(art.file(tmp_path / "dl")).read_text() == "keep me"
