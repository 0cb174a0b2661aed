"""The hand-off of a sweep's parameter set from its agent to the next ``init()`` (docs/sweeps.md,
"Runs of a sweep"). Kept apart from ``sdk/sweep.py`` so that every ``init()`` can ask without
importing the agent and its search (subprocess, tempfile, hashlib: about 3.6 ms at first import)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

ENV_ID, ENV_PARAMS, ENV_PROJECT = "RUNYARD_SWEEP_ID", "RUNYARD_SWEEP_PARAMS", "RUNYARD_SWEEP_PROJECT"


@dataclass
class Job:
    """One parameter set handed to the next ``init()``."""

    sweep_id: str
    project: str
    params: dict[str, Any]
    taken: bool = False


_pending: Job | None = None


def hand(job: Job | None) -> None:
    """Hold ``job`` for the next ``init()`` of this process (None: hold nothing)."""
    global _pending
    _pending = job


def take_job() -> Job | None:
    """The set the next ``init()`` runs with, once: the agent's in this process, else a program
    agent's from the environment."""
    global _pending
    job, _pending = _pending, None
    if job is not None:
        job.taken = True
        return job
    sweep_id, params = os.environ.pop(ENV_ID, None), os.environ.pop(ENV_PARAMS, None)
    project = os.environ.pop(ENV_PROJECT, "")
    if not sweep_id or params is None:
        return None
    return Job(sweep_id, project, json.loads(params), taken=True)
