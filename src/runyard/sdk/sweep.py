"""Sweeps on a folder of runs (docs/sweeps.md): ``sweep(config)`` stores a search, ``agent(id,
function)`` runs its parameter sets, one run each.

A sweep lives in ``<dir>/.sweeps/<id>/`` (no project is named with a leading dot):
``sweep.json`` holds its configuration and project, ``claims.jsonl`` one line per parameter set an
agent took, appended under an exclusive lock (``fcntl.flock`` on ``.lock``). So agents in several
processes, or on machines sharing the folder, each take the next set: the ``n``-th set is a
function of the sweep's id and ``n`` (``sweep_space.parameters``), and ``n`` is the number of
lines before the new one.

The set reaches the run through ``init()`` (``sweep_job``): the agent holds it for the next
``init()`` its function calls (a program started by ``runyard agent`` finds it in ``RUNYARD_SWEEP_ID`` and
``RUNYARD_SWEEP_PARAMS``). The run is put in the sweep's project, its config gets the set's values
over what ``init(config=...)`` gave, later config updates of those keys are ignored with a warning
(wandb locks them), and its metadata and ``run.sweep_id`` name the sweep. A ``bayes`` sweep is
searched at random here (runyard has no Bayesian optimiser; said once when it starts), and
``early_terminate`` is not applied (said once too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import settings as settings_mod
from ..errors import UsageError
from . import sweep_space
from .names import new_run_id
from .report import say
from .sweep_job import ENV_ID, ENV_PARAMS, ENV_PROJECT, Job, hand

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one agent at a time
    fcntl = None  # type: ignore[assignment]

DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]


def _root(dir: str | os.PathLike[str] | None = None) -> Path:
    resolved = settings_mod.resolve({"dir": os.fspath(dir)} if dir is not None else {})
    return Path(resolved["dir"]).expanduser()


def sweep_folder(sweep_id: str, root: Path) -> Path:
    """The folder of sweep ``[entity/project/]sweep_id`` under the runs folder ``root``."""
    sid = sweep_id.rstrip("/").split("/")[-1]  # "entity/project/id" as wandb prints it
    folder = root / ".sweeps" / sid
    if not (folder / "sweep.json").is_file():
        raise UsageError(f"no sweep {sid!r} under {root} (sweeps made with runyard.sweep() are kept in "
                         f"{root / '.sweeps'}; set dir= or RUNYARD_DIR to the folder it was made in)")
    return folder


def sweep_doc(folder: Path) -> dict[str, Any]:
    """What ``sweep()`` stored: ``{id, project, entity, config, created_at}``."""
    doc: dict[str, Any] = json.loads((folder / "sweep.json").read_text())
    return doc


def taken(folder: Path) -> int:
    """How many parameter sets agents have taken (the lines of ``claims.jsonl``)."""
    claims = folder / "claims.jsonl"
    return claims.read_bytes().count(b"\n") if claims.exists() else 0


def sweep(sweep: Any, entity: str | None = None, project: str | None = None, prior_runs: Any = None,
          dir: str | os.PathLike[str] | None = None) -> str:
    """Store a sweep (wandb's configuration: ``method``, ``metric``, ``parameters``, ...) and
    return its id for ``agent``. ``sweep`` may also be a function returning the configuration."""
    config = sweep() if callable(sweep) else sweep
    sweep_space.check(config)
    if prior_runs:
        say("sweep(): prior_runs are not used (runyard's random and grid searches learn nothing from runs)")
    project = project or config.get("project") or settings_mod.resolve({})["project"]
    root = _root(dir)
    sweep_id = new_run_id()
    folder = root / ".sweeps" / sweep_id
    folder.mkdir(parents=True)
    doc = {"id": sweep_id, "project": project, "entity": entity, "config": config, "created_at": time.time()}
    (folder / "sweep.json").write_text(json.dumps(doc, indent=2, default=str))
    n = sweep_space.grid_size(config)
    size = f", {n} parameter set{'' if n == 1 else 's'}" if config["method"] == "grid" else ""
    say(f"created sweep {sweep_id} ({config['method']} search{size}) in {folder}; run it with "
        f"runyard.agent({sweep_id!r}, function=...) or: runyard agent {sweep_id}")
    return sweep_id


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / ".lock", "a+b") as lock:
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _claim(folder: Path, doc: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """Take the next parameter set: ``(its number, the set)``, or None when the sweep is done."""
    config = doc["config"]
    with _locked(folder):
        n = taken(folder)
        cap = config.get("run_cap")
        params = None if cap is not None and n >= cap else sweep_space.parameters(config, doc["id"], n)
        if params is None:
            return None
        with (folder / "claims.jsonl").open("a") as f:
            f.write(json.dumps({"n": n, "params": params, "pid": os.getpid(), "at": time.time()}) + "\n")
    return n, params


def _load(sweep_id: str, dir: str | os.PathLike[str] | None) -> tuple[Path, dict[str, Any]]:
    folder = sweep_folder(sweep_id, _root(dir))
    doc = sweep_doc(folder)
    if doc["config"]["method"] == "bayes":
        say(f"sweep {doc['id']}: a bayes search runs as a random search here (runyard has no Bayesian optimiser)")
    if doc["config"].get("early_terminate"):
        say(f"sweep {doc['id']}: early_terminate is not applied here; every run goes to its end")
    return folder, doc


def agent(sweep_id: str, function: Callable[[], Any] | None = None, entity: str | None = None,
          project: str | None = None, count: int | None = None, dir: str | os.PathLike[str] | None = None) -> None:
    """Run the sweep's parameter sets, ``count`` of them at most (None: until a grid is done;
    a random search goes on until stopped or its ``run_cap``): each by calling ``function``, whose
    ``init()`` gets the set, or, with no function, by starting the sweep's ``program``."""
    if count is not None and (not isinstance(count, int) or count < 1):
        raise ValueError(f"agent(): count must be a positive integer or None, got {count!r}")
    folder, doc = _load(sweep_id, dir)
    if function is None and not doc["config"].get("program"):
        raise UsageError(f"sweep {doc['id']} has no 'program' to run: give agent() a function, or add "
                         "'program: train.py' to the sweep's configuration")
    done = 0
    while count is None or done < count:
        claim = _claim(folder, doc)
        if claim is None:
            say(f"sweep {doc['id']}: every parameter set has been taken; the agent stops")
            return
        n, params = claim
        say(f"sweep {doc['id']}: run {n + 1} with {json.dumps(params, default=str)}")
        if function is None:
            _run_program(doc, params, folder)
        else:
            _run_function(doc, params, function)
        done += 1


def _run_function(doc: dict[str, Any], params: dict[str, Any], function: Callable[[], Any]) -> None:
    import runyard

    job = Job(doc["id"], doc["project"], params)
    hand(job)
    failed = False
    try:
        function()
    except Exception:  # noqa: BLE001 - as wandb's agent: say it, end the run as failed, go on
        failed = True
        traceback.print_exc()
    finally:
        hand(None)
        run = runyard.run
        if run is not None and getattr(run, "sweep_id", None) == doc["id"]:
            run.finish(exit_code=1 if failed else 0)
    if not job.taken:
        say(f"sweep {doc['id']}: the function did not call init(), so no run has these parameters")


def program_command(config: dict[str, Any], params: dict[str, Any], args_file: Path) -> list[str]:
    """The command of a program agent: the sweep's ``command`` (wandb's template, by default
    ``${env} ${interpreter} ${program} ${args}``) with its macros filled in (``agent`` checked
    that the sweep names a ``program``)."""
    program = config["program"]
    flat = _flatten(params)
    parts: list[str] = []
    for part in config.get("command") or DEFAULT_COMMAND:
        if part == "${env}":
            continue  # wandb's /usr/bin/env: the environment is passed as it is
        if part in ("${interpreter}", "${program}"):
            parts.append(sys.executable if part == "${interpreter}" else str(program))
        elif part == "${args}":
            parts.extend(f"--{k}={v}" for k, v in flat.items())
        elif part == "${args_no_hyphens}":
            parts.extend(f"{k}={v}" for k, v in flat.items())
        elif part == "${args_json}":
            parts.append(json.dumps(params, default=str))
        elif part == "${args_json_file}":
            args_file.write_text(json.dumps(params, default=str))
            parts.append(str(args_file))
        else:
            parts.append(str(part))
    return parts


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _run_program(doc: dict[str, Any], params: dict[str, Any], folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = program_command(doc["config"], params, Path(tmp) / "args.json")
        env = {**os.environ, ENV_ID: doc["id"], ENV_PARAMS: json.dumps(params, default=str),
               ENV_PROJECT: doc["project"], "RUNYARD_DIR": str(folder.parent.parent)}
        code = subprocess.call(cmd, env=env)
    if code:
        say(f"sweep {doc['id']}: the program exited with code {code}; the agent goes on")
