"""Hatch build hook: the wheel carries the built web UI (``src/runyard/server/ui_dist/``).

- The UI is already built (a git checkout has it committed): nothing to do.
- ``RUNYARD_SKIP_UI_BUILD=1``: nothing to do; the server then says the UI is not built.
- Missing, and Node.js/npm are here: runs ``npm ci && npm run build`` in ``web/``.
- Missing, no npm: an editable install (``pip install -e .``) goes on with a clear note; a wheel
  build fails with the exact command to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUILD_COMMAND = "cd web && npm ci && npm run build"


class UIBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        dist = root / "src" / "runyard" / "server" / "ui_dist"
        web = root / "web"
        if (dist / "index.html").is_file():
            return
        if os.environ.get("RUNYARD_SKIP_UI_BUILD", "") not in ("", "0"):
            self._say(f"RUNYARD_SKIP_UI_BUILD is set: the web UI is not built; `runyard ui` serves the API "
                      f"and a page saying how to build it ({BUILD_COMMAND}).")
            return
        npm = shutil.which("npm")
        if npm is None or not (web / "package.json").is_file():
            why = "npm (Node.js >= 20.19) is not installed" if npm is None else f"{web} has no package.json"
            message = (f"the runyard web UI is not built ({dist} is missing) and cannot be built here: {why}. "
                       f"Build it with: {BUILD_COMMAND} -- or set RUNYARD_SKIP_UI_BUILD=1 to package "
                       "runyard without its UI.")
            if version == "editable":
                self._say(message + " The editable install goes on without the UI.")
                return
            raise RuntimeError(message)
        self._say(f"building the web UI: {BUILD_COMMAND}")
        for args in ([npm, "ci", "--no-audit", "--no-fund"], [npm, "run", "build"]):
            done = subprocess.run(args, cwd=web, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"`{' '.join(args[1:])}` failed in {web} (exit {done.returncode}); run "
                                   f"{BUILD_COMMAND} to see why, or set RUNYARD_SKIP_UI_BUILD=1 to package "
                                   "runyard without its UI.")

    def _say(self, message: str) -> None:
        print(f"runyard build hook: {message}", file=sys.stderr)
