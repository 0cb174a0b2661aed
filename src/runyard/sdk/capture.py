"""What a run records about its code and environment, gathered on a thread of its own so ``init()``
stays fast: git commit, branch, remote and the uncommitted diff (``files/diff.patch``), the
installed packages (``files/requirements.txt``), the conda environment when one is active
(``files/conda-environment.yaml``), hardware, allow-listed environment variables and the main
script (``files/code/``). Each result reaches the log as a METADATA record (``docs/run-log.md``).

Secrets never leave the process: environment variables and command-line options whose names hold
KEY, TOKEN, SECRET or PASSWORD (and a few like them) are never recorded.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..types.base import atomic_write

log = logging.getLogger("runyard.capture")

SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSW|PASSWD|CREDENTIAL|AUTH|COOKIE|PRIVATE", re.IGNORECASE)
# Environment variables worth recording: names, or prefixes ending in "_".
ENV_ALLOW = (
    "CUDA_", "NVIDIA_", "SLURM_", "OMP_", "MKL_", "NCCL_", "TORCH_", "TF_", "XLA_", "HF_", "JAX_",
    "RUNYARD_", "WANDB_", "PYTHONHASHSEED", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_DEFAULT_ENV",
    "CONDA_PREFIX", "LOCAL_RANK", "RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "HOSTNAME",
)
MAX_CODE_FILES = 10_000


def allowed_env(environ: dict[str, str] | os._Environ[str], extra: str = "") -> dict[str, str]:
    """The environment variables on the allow-list (plus ``extra`` names), never a secret-looking one."""
    names = {n.strip() for n in extra.split(",") if n.strip()}
    out = {}
    for name, value in environ.items():
        if SECRET.search(name):
            continue
        if name in names or any(name.startswith(p) if p.endswith("_") else name == p for p in ENV_ALLOW):
            out[name] = value
    return dict(sorted(out.items()))


def redact_args(args: list[str]) -> list[str]:
    """Command-line arguments with the values of secret-looking options replaced by ``<redacted>``."""
    out: list[str] = []
    hide_next = False
    for a in args:
        if hide_next:
            out.append("<redacted>")
            hide_next = False
        elif a.startswith("-") and SECRET.search(a.split("=", 1)[0]):
            if "=" in a:
                out.append(a.split("=", 1)[0] + "=<redacted>")
            else:
                out.append(a)
                hide_next = True
        else:
            out.append(a)
    return out


def _git(args: list[str], cwd: str, timeout: float = 10) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode("utf-8", "replace").strip() if out.returncode == 0 else None


def git_info(cwd: str, files_dir: Path, max_diff: int) -> dict[str, Any]:
    """Commit, remote, branch and dirty state; the uncommitted diff goes to ``files/diff.patch``."""
    root = _git(["rev-parse", "--show-toplevel"], cwd)
    if root is None:
        return {}
    commit = _git(["rev-parse", "HEAD"], cwd)
    info: dict[str, Any] = {
        "commit": commit, "remote": _git(["config", "--get", "remote.origin.url"], cwd),
        "branch": _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd), "root": root,
    }
    diff = None
    if commit is not None:
        try:
            done = subprocess.run(["git", "diff", "--no-color", "--no-ext-diff", "HEAD"], cwd=cwd,
                                  capture_output=True, timeout=30, check=False)
            diff = done.stdout if done.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            diff = None
    info["dirty"] = bool(diff) if diff is not None else None
    if diff:
        note = b""
        if len(diff) > max_diff:
            note = (f"\n# runyard: the diff was cut at {max_diff:,} of its {len(diff):,} bytes "
                    "(setting max_diff_bytes)\n").encode()
            info["diff_truncated"] = {"kept": max_diff, "total": len(diff)}
        atomic_write(files_dir / "diff.patch", diff[:max_diff] + note)
        info["diff"] = "diff.patch"
    return info


def requirements(files_dir: Path) -> int:
    """``files/requirements.txt`` of every distribution on ``sys.path``; returns the count.

    Read from the names of the ``*.dist-info`` / ``*.egg-info`` folders (``name-version.dist-info``)
    rather than through ``importlib.metadata``, which opens every METADATA file: ~1 s in an
    environment of a few hundred packages against a few milliseconds for the folder listings."""
    seen: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                stem = name[: -len(".dist-info")]
            elif name.endswith(".egg-info"):
                stem = name[: -len(".egg-info")]
            else:
                continue
            dist, _, version = stem.partition("-")
            version = version.split("-py", 1)[0]
            key = re.sub(r"[-_.]+", "-", dist).lower()
            if key not in seen:
                seen[key] = f"{dist}=={version}" if version else dist
    lines = sorted(seen.values(), key=str.lower)
    atomic_write(files_dir / "requirements.txt", ("\n".join(lines) + "\n").encode())
    return len(lines)


def conda_environment(files_dir: Path) -> str | None:
    """The active conda environment's packages (read from ``conda-meta``; no conda process)."""
    prefix = os.environ.get("CONDA_PREFIX")
    meta = Path(prefix) / "conda-meta" if prefix else None
    if meta is None or not meta.is_dir():
        return None
    deps = []
    for f in sorted(meta.glob("*.json")):
        try:
            d = json.loads(f.read_text())
            deps.append(f"  - {d['name']}={d['version']}={d.get('build', '')}")
        except (OSError, ValueError, KeyError):
            continue
    name = os.environ.get("CONDA_DEFAULT_ENV") or Path(str(prefix)).name
    text = f"name: {name}\nprefix: {prefix}\ndependencies:\n" + "\n".join(deps) + "\n"
    atomic_write(files_dir / "conda-environment.yaml", text.encode())
    return name


def hardware() -> dict[str, Any]:
    from .sysmetrics import gpu_names

    out: dict[str, Any] = {"machine": platform.machine(), "processor": platform.processor() or None,
                           "cpu_count": os.cpu_count()}
    try:
        import psutil

        out["cpu_count_physical"] = psutil.cpu_count(logical=False)
        out["memory_total_mb"] = round(psutil.virtual_memory().total / (1024 * 1024))
    except Exception as e:
        log.debug("hardware: psutil gave nothing (%s)", e)
    gpus = gpu_names()
    out["gpu_count"] = len(gpus)
    if gpus:
        out["gpus"] = gpus
    return out


def main_script() -> Path | None:
    """The script this process runs (None in a notebook, ``python -c`` or the REPL)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path:
        return None
    p = Path(path).resolve()
    return p if p.is_file() else None


def copy_code(files: list[tuple[Path, str]], code_dir: Path, max_bytes: int) -> dict[str, Any]:
    """Copy ``(source, relative name)`` pairs under ``code_dir`` until ``max_bytes`` is reached;
    returns what was stored and what was left out (with a note file saying so)."""
    stored: list[str] = []
    left: list[str] = []
    errors: list[str] = []
    total = 0
    for src, rel in files:
        try:
            size = src.stat().st_size
            if total + size > max_bytes or len(stored) >= MAX_CODE_FILES:
                left.append(rel)
                continue
            atomic_write(code_dir / rel, src.read_bytes())
        except OSError as e:
            errors.append(f"{rel}: {e.strerror or e}")
            continue
        total += size
        stored.append(rel)
    out: dict[str, Any] = {"files": stored, "bytes": total}
    if left:
        out["left_out"] = len(left)
        note = (f"runyard stored {len(stored)} files ({total:,} bytes) and left out {len(left)} past the "
                f"max_code_bytes setting ({max_bytes:,} bytes):\n" + "\n".join(left) + "\n")
        atomic_write(code_dir.parent / "code-left-out.txt", note.encode())
    if errors:
        out["errors"] = errors
    return out


class Capture:
    """The gathering (``run``, called on the run's background thread); each result goes to ``emit``
    (a METADATA record)."""

    def __init__(self, folder: Path, settings: dict[str, Any], emit: Callable[[dict[str, Any]], None]) -> None:
        self.files_dir = folder / "files"
        self.settings = settings
        self.emit = emit
        self.cwd = os.getcwd()
        self.script = main_script() if settings.get("save_code") else None

    def _step(self, what: str, fn: Callable[[], dict[str, Any]]) -> None:
        try:
            found = fn()
        except Exception as e:  # one part failing never stops the others nor the run
            log.debug("capture of %s failed: %s: %s", what, type(e).__name__, e)
            return
        if found:
            self.emit(found)

    def run(self) -> None:
        s = self.settings
        if self.script is not None:
            script = self.script
            self._step("code", lambda: {"code": {"main": script.name, **copy_code(
                [(script, script.name)], self.files_dir / "code", int(s["max_code_bytes"]))}})
        if not s.get("capture_environment", True):
            return
        self._step("environment", lambda: {"environment": {
            "env": allowed_env(os.environ, str(s.get("env_allow", ""))),
            "python_implementation": platform.python_implementation(),
            "hardware": hardware(),
        }})
        self._step("git", lambda: {"git": g} if (g := git_info(self.cwd, self.files_dir, int(s["max_diff_bytes"])))
                   else {})
        self._step("packages", lambda: {"packages": {"requirements": "requirements.txt",
                                                     "count": requirements(self.files_dir)}})
        self._step("conda", lambda: {"conda": {"env": name, "file": "conda-environment.yaml"}}
                   if (name := conda_environment(self.files_dir)) else {})
