"""Real training scripts run end to end through the wandb alias, in a subprocess each (as a user
would run them: ``RUNYARD_AS_WANDB=1 python train.py``); what reached runyard is read back with
``runyard.Api()``. The frameworks come from the ``compat-test`` extra; a test whose framework is
missing is skipped, naming it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import runyard

SCRIPTS = Path(__file__).parent / "scripts"


def need(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (pip install 'runyard[compat-test]')")


def run_script(name: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None,
               expect_rc: int = 0) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    full.update({"RUNYARD_AS_WANDB": "1", "RUNYARD_DIR": str(tmp_path / "runs"), "RUNYARD_CONSOLE": "off",
                 "KERAS_BACKEND": "torch", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
                 "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"})
    full.update(env or {})
    done = subprocess.run([sys.executable, str(SCRIPTS / name), *args], env=full, cwd=tmp_path,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == expect_rc, f"{name} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done


def only_run(tmp_path: Path, project: str) -> runyard.ApiRun:
    runs = runyard.Api(root=str(tmp_path / "runs")).runs(project)
    assert len(runs) == 1, [r.path for r in runs]
    return runs[0]
