"""``wandb.sdk``: the names integrations reach for under it."""

from runyard import Settings, finish, init, log, login

from . import lib, wandb_run, wandb_settings

__all__ = ["Settings", "finish", "init", "lib", "log", "login", "wandb_run", "wandb_settings"]
