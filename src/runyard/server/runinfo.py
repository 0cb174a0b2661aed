"""What a run recorded unasked, for the run page: its environment (packages, Python, OS, hardware,
GPUs), its stored code and git diff, a diff of two runs' code, its alerts, and the media key and step
of each file under ``media/`` (the Files tab names them). System metrics need no route of their
own: they are series (``docs/run-log.md``, "System metrics") answered by the series routes with
``x_axis=_timestamp`` or ``_runtime``."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Query

from ..log.reader import RunFolder
from ..store import queries as q
from ..store import schema as s
from ..store.db import Store
from .errors import ApiError

MAX_DIFF_FILES = 200
MAX_DIFF_FILE_BYTES = 1_000_000  # larger files are compared by size and hash only


def _lines(path: Path) -> list[str] | None:
    try:
        if path.stat().st_size > MAX_DIFF_FILE_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    except OSError:
        return None


def code_files(folder: Path) -> list[dict[str, Any]]:
    top = folder / "files" / "code"
    if not top.is_dir():
        return []
    return [{"path": p.relative_to(top).as_posix(), "size": p.stat().st_size}
            for p in sorted(top.rglob("*")) if p.is_file() and not p.name.startswith(".tmp-")]


def code_diff(a: Path, b: Path, a_name: str, b_name: str) -> list[dict[str, Any]]:
    """Per file of either run's ``files/code/``: added, removed, changed (with a unified diff) or same."""
    fa = {f["path"] for f in code_files(a)}
    fb = {f["path"] for f in code_files(b)}
    out = []
    for path in sorted(fa | fb)[:MAX_DIFF_FILES]:
        if path not in fa:
            out.append({"path": path, "status": "added"})
            continue
        if path not in fb:
            out.append({"path": path, "status": "removed"})
            continue
        la, lb = _lines(a / "files" / "code" / path), _lines(b / "files" / "code" / path)
        if la is None or lb is None:
            same = (a / "files" / "code" / path).read_bytes() == (b / "files" / "code" / path).read_bytes()
            out.append({"path": path, "status": "same" if same else "changed", "diff": None})
            continue
        if la == lb:
            out.append({"path": path, "status": "same"})
            continue
        diff = "".join(difflib.unified_diff(la, lb, f"{a_name}/{path}", f"{b_name}/{path}"))
        out.append({"path": path, "status": "changed", "diff": diff})
    return out


def requirements(folder: Path) -> list[dict[str, str]]:
    try:
        text = (folder / "files" / "requirements.txt").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        name, _, version = line.strip().partition("==")
        if name:
            out.append({"name": name, "version": version})
    return out


def media_names(conn: sa.Connection, rpk: int) -> dict[str, dict[str, Any]]:
    """``media/...`` path -> the key and step that logged it (the first, when bytes repeat)."""
    out: dict[str, dict[str, Any]] = {}
    for key, step, ref in conn.execute(sa.select(s.media.c.key, s.media.c.step, s.media.c.ref)
                                       .where(s.media.c.run_pk == rpk).order_by(s.media.c.step)):
        try:
            path = json.loads(ref).get("path")
        except (ValueError, AttributeError):
            continue
        if isinstance(path, str) and path not in out:
            out[path] = {"key": key, "step": int(step)}
    return out


def install(app: FastAPI, store: Store, root: Path) -> None:
    def folder_of(project: str, run_id: str) -> tuple[Path, dict[str, Any]]:
        with store.read() as conn:
            m = q.run_row(conn, project, run_id)._mapping
            return root / m["path"], dict(m)

    @app.get("/api/runs/{project}/{run_id}/environment", tags=["runs"],
             description="Python, OS, hardware and GPUs, allow-listed environment variables, git, and the "
                         "installed packages (from the run's files/requirements.txt).")
    def run_environment(project: str, run_id: str) -> dict[str, Any]:
        folder, m = folder_of(project, run_id)
        meta = json.loads(m["metadata"] or "{}")
        env = meta.get("environment") or {}
        hw = env.get("hardware") or {}
        return {
            "python": meta.get("python"), "python_implementation": env.get("python_implementation"),
            "os": meta.get("os"), "host": meta.get("host"), "executable": meta.get("executable"),
            "command": meta.get("command"), "cwd": meta.get("cwd"), "hardware": hw,
            "gpu_count": hw.get("gpu_count"), "gpus": hw.get("gpus", []), "env": env.get("env", {}),
            "git": meta.get("git"), "conda": meta.get("conda"), "packages": requirements(folder),
            "captured": "environment" in meta,
        }

    @app.get("/api/runs/{project}/{run_id}/code", tags=["runs"],
             description="The run's stored source files (files/code/) and whether a git diff was stored.")
    def run_code(project: str, run_id: str) -> dict[str, Any]:
        folder, m = folder_of(project, run_id)
        meta = json.loads(m["metadata"] or "{}")
        git = meta.get("git") or {}
        left = folder / "files" / "code-left-out.txt"
        return {"files": code_files(folder), "main": (meta.get("code") or {}).get("main"),
                "diff": "diff.patch" if (folder / "files" / "diff.patch").is_file() else None,
                "diff_truncated": git.get("diff_truncated"), "git": git or None,
                "left_out": left.read_text(errors="replace") if left.is_file() else None}

    @app.get("/api/runs/{project}/{run_id}/code/compare", tags=["runs"],
             description="A diff of this run's stored code against another run's of the same project.")
    def run_code_compare(project: str, run_id: str, other: str = Query(..., description="the other run's id")
                         ) -> dict[str, Any]:
        a, _ = folder_of(project, other)
        b, _ = folder_of(project, run_id)
        return {"base": other, "run": run_id, "files": code_diff(a, b, other, run_id)}

    @app.get("/api/runs/{project}/{run_id}/alerts", tags=["runs"],
             description="Alerts the run raised with run.alert(), oldest first (the last 100).")
    def run_alerts(project: str, run_id: str) -> dict[str, Any]:
        folder, _ = folder_of(project, run_id)
        try:
            state, _ = RunFolder(folder).load_state(resolve_liveness=False)
        except (OSError, ValueError) as exc:
            raise ApiError(404, f"the log of run {project}/{run_id} cannot be read: {exc}") from None
        return {"alerts": state.alerts}
