"""wandb's ``WANDB_*`` environment variables, ``wandb.Settings`` and config files, turned into
``init()`` arguments (``docs/wandb-compat.md``).

Precedence, as in wandb: an explicit ``init()`` argument, then ``settings=``, then the
environment. Config: ``config-defaults.yaml`` in the working directory, then the files of
``$WANDB_CONFIG_PATHS``, then ``init(config=...)`` (a dict, or the path of a YAML/JSON file).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .report import say
from .wandb_settings import split_settings

logger = logging.getLogger("runyard")

# environment variable -> init() argument (each is one of init()'s own arguments in wandb)
ENV_ARGS = {
    "WANDB_PROJECT": "project", "WANDB_ENTITY": "entity", "WANDB_NAME": "name", "WANDB_NOTES": "notes",
    "WANDB_TAGS": "tags", "WANDB_RUN_GROUP": "group", "WANDB_JOB_TYPE": "job_type", "WANDB_RUN_ID": "id",
    "WANDB_RESUME": "resume", "WANDB_MODE": "mode",
}
CONFIG_DEFAULTS = "config-defaults.yaml"
_RESUME = {"true": True, "1": True, "false": False, "0": False}


def init_arguments(kwargs: dict[str, Any], wandb_call: bool = False) -> dict[str, Any]:
    """The arguments ``init()`` runs with, given the ones it was called with. A wandb mode that
    needs a server ("online") when none is configured is logged locally with one line when it
    comes from wandb (``wandb.init`` through the alias, ``$WANDB_MODE``, ``Settings``);
    ``runyard.init(mode="online")`` itself still says it needs a server."""
    out = dict(kwargs)
    explicit_mode = out.get("mode") is not None and not wandb_call
    settings_args, runyard_settings, other = split_settings(out.pop("settings", None))
    for name, value in settings_args.items():
        if out.get(name) is None:
            out[name] = value
    env = os.environ
    for var, name in ENV_ARGS.items():
        raw = env.get(var)
        if raw is None or raw == "" or out.get(name) is not None:
            continue
        if name == "tags":
            out[name] = [t.strip() for t in raw.split(",") if t.strip()]
        elif name == "resume":
            out[name] = _RESUME.get(raw.strip().lower(), raw.strip().lower())
        elif name == "mode" and env.get("RUNYARD_MODE"):
            continue  # runyard's own variable wins
        else:
            out[name] = raw
    if out.get("mode") in ("online", "shared") and not explicit_mode and not _server_configured(runyard_settings):
        say(f"init(mode={out['mode']!r}): no runyard server is configured, so the run is logged locally "
            "(mode='offline'); `runyard ui` shows it")
        out["mode"] = "offline"
    console = env.get("WANDB_CONSOLE")
    if console and "console" not in runyard_settings and not env.get("RUNYARD_CONSOLE"):
        runyard_settings["console"] = "off" if console == "off" else "wrap"
    if env.get("WANDB_API_KEY") and not env.get("RUNYARD_API_KEY") and "api_key" not in runyard_settings:
        runyard_settings["api_key"] = env["WANDB_API_KEY"]
    if runyard_settings:
        out["settings"] = runyard_settings
    if other.get("allow_val_change"):
        out.setdefault("allow_val_change", True)
    paths = other.get("config_paths") or [p for p in env.get("WANDB_CONFIG_PATHS", "").split(",") if p.strip()]
    out["config"] = merged_config(out.get("config"), [str(p).strip() for p in paths])
    return out


def _server_configured(runyard_settings: dict[str, Any]) -> bool:
    return bool(runyard_settings.get("base_url") or os.environ.get("RUNYARD_BASE_URL"))


def merged_config(config: Any, paths: list[str]) -> Any:
    """``config-defaults.yaml`` < ``paths`` < ``config`` (which may itself be a file path)."""
    layers: list[dict[str, Any]] = []
    if Path(CONFIG_DEFAULTS).is_file():
        layers.append(config_file(CONFIG_DEFAULTS))
    layers.extend(config_file(p, must_exist=True) for p in paths)
    if isinstance(config, (str, os.PathLike)):
        config = config_file(os.fspath(config), must_exist=True)
    if not layers:
        return config
    from .config import config_dict

    merged: dict[str, Any] = {}
    for layer in [*layers, config_dict(config, "init(config=...)")]:
        merged.update(layer)
    return merged


def config_file(path: str, must_exist: bool = False) -> dict[str, Any]:
    """Read a YAML or JSON config file in wandb's format: ``key: {value: X, desc: ...}`` or
    ``key: X``; a top-level ``wandb_version: 1`` is dropped."""
    p = Path(path)
    if not p.is_file():
        if must_exist:
            raise ConfigError(f"config file {path} does not exist")
        return {}
    text = p.read_text()
    if p.suffix == ".json":
        loaded: Any = json.loads(text)
    else:
        try:
            import yaml
        except ImportError:
            raise ConfigError(
                f"reading the config file {path} needs PyYAML: pip install 'runyard[wandb]' (or pyyaml)"
            ) from None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"invalid YAML in the config file {path}: {e}") from None
    if loaded is None:
        say(f"the config file {path} is empty; going on with no values from it")
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"the config file {path} must hold a mapping of keys to values")
    version = loaded.pop("wandb_version", None)
    if version not in (None, 1):
        raise ConfigError(f"the config file {path} has wandb_version {version!r}; only 1 is known")
    out = {}
    for k, v in loaded.items():
        out[str(k)] = v["value"] if isinstance(v, dict) and "value" in v else v
    return out
