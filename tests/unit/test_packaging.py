"""Import hygiene (``import runyard`` stays light), settings documented (docs/settings.md), and the CLI entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from runyard.settings import SETTINGS

RUNYARD = str(Path(sys.executable).parent / "runyard")

ROOT = Path(__file__).resolve().parents[2]


def test_import_runyard_stays_light() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import runyard; "
        "print(time.perf_counter() - t); import json; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('click','fastapi','PIL','pandas','matplotlib','plotly','sqlalchemy','uvicorn','imageio','soundfile','rdkit','trimesh','torch'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert json.loads(out[1]) == []
    float(out[0])  # the import time itself is measured in benchmarks, not asserted here


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text()
    for s in SETTINGS:
        assert f"`{s.name}`" in doc and s.env in doc, f"setting {s.name} is not in docs/settings.md"


def test_cli_help_and_python_m_are_the_same() -> None:
    a = subprocess.run([RUNYARD, "--help"], capture_output=True, text=True, check=True).stdout
    b = subprocess.run([sys.executable, "-m", "runyard", "--help"], capture_output=True, text=True, check=True).stdout
    assert a == b and "runs" in a and "demo" in a


def test_cli_runs_table(tmp_path: Path) -> None:
    env = {**os.environ, "RUNYARD_DIR": str(tmp_path)}
    code = (
        "import runyard\n"
        "for i in range(2):\n"
        "    r = runyard.init(project='cli', name=f'n{i}')\n"
        "    [r.log({'loss': 1.0 / (s + 1), 'acc': s / 10}) for s in range(10)]\n"
        "    r.finish()\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    out = subprocess.run([RUNYARD, "runs", str(tmp_path)], capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    assert lines[0].split() == ["PROJECT", "ID", "NAME", "STATE", "STEPS", "RUNTIME", "SUMMARY"]
    assert len(lines) == 3
    assert all("cli" in line and "finished" in line and " 10 " in line and "loss=0.1" in line for line in lines[1:])
    missing = subprocess.run([RUNYARD, "runs", str(tmp_path / "nope")], capture_output=True, text=True)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
