"""``wandb.env``: the names of wandb's environment variables, and the setters integrations use."""

from __future__ import annotations

import os

PROJECT = "WANDB_PROJECT"
ENTITY = "WANDB_ENTITY"
NAME = "WANDB_NAME"
NOTES = "WANDB_NOTES"
TAGS = "WANDB_TAGS"
RUN_GROUP = "WANDB_RUN_GROUP"
JOB_TYPE = "WANDB_JOB_TYPE"
RUN_ID = "WANDB_RUN_ID"
RESUME = "WANDB_RESUME"
DIR = "WANDB_DIR"
MODE = "WANDB_MODE"
SILENT = "WANDB_SILENT"
QUIET = "WANDB_QUIET"
CONSOLE = "WANDB_CONSOLE"
CONFIG_PATHS = "WANDB_CONFIG_PATHS"
API_KEY = "WANDB_API_KEY"
BASE_URL = "WANDB_BASE_URL"
LOG_MODEL = "WANDB_LOG_MODEL"
WATCH = "WANDB_WATCH"


def set_project(value: str, env: dict[str, str] | None = None) -> None:
    (os.environ if env is None else env)[PROJECT] = value


def set_entity(value: str, env: dict[str, str] | None = None) -> None:
    (os.environ if env is None else env)[ENTITY] = value


def get_project(default: str | None = None, env: dict[str, str] | None = None) -> str | None:
    return (os.environ if env is None else env).get(PROJECT, default)


def get_entity(default: str | None = None, env: dict[str, str] | None = None) -> str | None:
    return (os.environ if env is None else env).get(ENTITY, default)
