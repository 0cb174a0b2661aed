"""The opt-in wandb alias (docs/wandb-compat.md): install(), RUNYARD_AS_WANDB at interpreter
start, `runyard run -- CMD`, the wandb distribution it reports, and `runyard doctor`."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

import runyard
import runyard.compat

RUNYARD = str(Path(sys.executable).parent / "runyard")


def _python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "RUNYARD_AS_WANDB"}
    full.update({"RUNYARD_DIR": str(tmp_path / "runs"), **env})
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, cwd=tmp_path)


def test_env_var_turns_the_alias_on_at_interpreter_start(tmp_path: Path) -> None:
    code = (
        "import sys, importlib.metadata as md, importlib.util\n"
        "assert 'runyard.compat' in sys.modules\n"
        "import wandb\n"
        "from wandb.sdk.lib import RunDisabled\n"
        "from wandb.wandb_run import Run\n"
        "from wandb.sdk.lib.config_util import ConfigError\n"
        "import wandb.plot, runyard\n"
        "assert wandb.plot is runyard.plot and wandb.Table is runyard.Table\n"
        "assert wandb.save is runyard.save and wandb.restore is runyard.restore and wandb.alert is runyard.alert\n"
        "print(md.version('wandb'), importlib.util.find_spec('wandb') is not None)\n"
        "r = wandb.init(project='alias')\n"
        "assert wandb.run is r and isinstance(r, Run) and wandb.config is r.config\n"
        "wandb.log({'loss': 0.5})\n"
        "wandb.finish()\n"
        "assert wandb.run is None\n"
    )
    done = _python(code, tmp_path, RUNYARD_AS_WANDB="1")
    assert done.returncode == 0, done.stderr
    version, found = done.stdout.split()
    assert version == runyard.compat.WANDB_VERSION and found == "True"
    runs = runyard.Api(root=str(tmp_path / "runs")).runs("alias")
    assert [r.summary["loss"] for r in runs] == [0.5]


def test_alias_off_leaves_wandb_alone(tmp_path: Path) -> None:
    code = (
        "import sys, importlib.util\n"
        "print('runyard' in sys.modules, importlib.util.find_spec('wandb') is None)\n"
    )
    done = _python(code, tmp_path, RUNYARD_AS_WANDB="0")
    assert done.returncode == 0, done.stderr
    # nothing of runyard was imported at start-up, and wandb (not installed here) stays absent
    assert done.stdout.split() == ["False", str(_real_wandb_missing())]


def _real_wandb_missing() -> bool:
    try:
        importlib.metadata.version("wandb")
    except importlib.metadata.PackageNotFoundError:
        return True
    return False


def test_install_and_uninstall_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNYARD_AS_WANDB", raising=False)
    # Another test (the wandb importer's) may have imported the real wandb in this process; the
    # alias rightly refuses to shadow a wandb already imported, so set those modules aside here.
    for name in [m for m in sys.modules if m == "wandb" or m.startswith("wandb.")]:
        monkeypatch.delitem(sys.modules, name)
    was_on = runyard.compat.is_installed()
    runyard.compat.install()
    try:
        import wandb  # type: ignore[import-not-found]

        assert wandb.__runyard_alias__ and importlib.metadata.version("wandb") == runyard.compat.WANDB_VERSION
        assert os.environ["RUNYARD_AS_WANDB"] == "1"  # child processes inherit it
        import wandb.sdk.wandb_run  # type: ignore[import-not-found]

        assert wandb.sdk.wandb_run.Run is runyard.sdk.run.Run
    finally:
        if not was_on:
            runyard.compat.uninstall()
    if not was_on:
        assert "wandb" not in sys.modules
        with pytest.raises(importlib.metadata.PackageNotFoundError) if _real_wandb_missing() else _nothing():
            importlib.metadata.version("wandb")


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_unknown_wandb_submodule_is_a_plain_import_error(tmp_path: Path) -> None:
    done = _python("import wandb.no_such_module", tmp_path, RUNYARD_AS_WANDB="1")
    assert done.returncode == 1 and "ModuleNotFoundError: No module named 'wandb.no_such_module'" in done.stderr


def test_runyard_run_sets_the_alias_for_the_command_and_its_children(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import subprocess, sys\n"
        "import wandb\n"
        "wandb.init(project='cmd', name='parent')\n"
        "wandb.log({'x': 1})\n"
        "wandb.finish()\n"
        "subprocess.run([sys.executable, '-c', \"import wandb; wandb.init(project='cmd', name='child'); "
        "wandb.log({'x': 2}); wandb.finish()\"], check=True)\n"
        "sys.exit(3)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "RUNYARD_AS_WANDB"}
    env["RUNYARD_DIR"] = str(tmp_path / "runs")
    done = subprocess.run([RUNYARD, "run", "--", sys.executable, str(script)], env=env, capture_output=True,
                          text=True, cwd=tmp_path)
    assert done.returncode == 3, done.stderr  # the command's own exit code
    runs = runyard.Api(root=str(tmp_path / "runs")).runs("cmd")
    assert sorted((r.name, r.summary["x"]) for r in runs) == [("child", 2), ("parent", 1)]


def test_doctor_names_integrations_and_the_alias_state(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RUNYARD_AS_WANDB"}
    off = subprocess.run([RUNYARD, "doctor"], env=env, capture_output=True, text=True, check=True).stdout
    assert "alias: off" in off and "runyard run -- python train.py" in off
    assert "alias start-up hook:" in off
    check = subprocess.run([RUNYARD, "run", "--check"], env=env, capture_output=True, text=True, check=True).stdout
    assert "alias: ON" in check
    try:
        import numpy  # noqa: F401 - always here; the frameworks listed depend on the environment
    except ImportError:  # pragma: no cover
        pytest.skip("numpy missing")
    for dist, label in (("scikit-learn", "scikit-learn plots"), ("torch", "PyTorch (wandb.watch)")):
        try:
            importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
        assert label in off and label in check
