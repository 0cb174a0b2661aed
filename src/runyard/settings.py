"""Every setting, declared once as data: name, type, default, environment variable and help.

``init(settings={...})`` overrides the environment, which overrides the default. ``docs/settings.md``
documents each setting; a test fails when one is missing there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    env: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("dir", str, "./runyard", "RUNYARD_DIR",
            "Root folder of local runs; runs go to <dir>/<project>/<run id>/."),
    Setting("mode", str, "offline", "RUNYARD_MODE",
            "offline (write locally), online (also stream to a team server; docs/team-server.md) or "
            "disabled (every call is a no-op). WANDB_MODE is honoured when RUNYARD_MODE is unset."),
    Setting("project", str, "uncategorized", "RUNYARD_PROJECT", "Project used when init() names none."),
    Setting("strict_steps", bool, False, "RUNYARD_STRICT_STEPS",
            "Raise StepError instead of warning when a step lower than the current one is logged."),
    Setting("console", str, "wrap", "RUNYARD_CONSOLE",
            "wrap: keep a copy of stdout/stderr in the run log (the terminal is unchanged); off: don't."),
    Setting("fsync_interval", float, 2.0, "RUNYARD_FSYNC_INTERVAL",
            "Seconds between fsyncs of the run log (0: after every write batch). finish() always fsyncs."),
    Setting("online_fsync_interval", float, 0.2, "RUNYARD_ONLINE_FSYNC_INTERVAL",
            "Online mode: seconds between fsyncs of the run log, when fsync_interval is not lower. The sender "
            "ships only what is durable, so this bounds how soon a row reaches the server."),
    Setting("flush_interval", float, 0.1, "RUNYARD_FLUSH_INTERVAL",
            "Longest time a logged row waits in memory before the writer hands it to the OS."),
    Setting("heartbeat_interval", float, 5.0, "RUNYARD_HEARTBEAT_INTERVAL",
            "Seconds between heartbeats (and state snapshots) of a quiet running run."),
    Setting("queue_limit", int, 200_000, "RUNYARD_QUEUE_LIMIT",
            "Most values waiting for the writer; beyond it log() waits (backpressure), it never drops."),
    Setting("finish_timeout", float, 120.0, "RUNYARD_FINISH_TIMEOUT",
            "Longest time finish() waits for the writer before giving up (saying what was not written)."),
    Setting("max_record_bytes", int, 64 * 1024 * 1024, "RUNYARD_MAX_RECORD_BYTES",
            "Largest record (one row, one summary edit) a run log takes, in bytes; log() and summary edits "
            "over it are refused naming the key. At most 268435456, the most a reader accepts."),
    Setting("max_image_pixels", int, 1 << 26, "RUNYARD_MAX_IMAGE_PIXELS",
            "Largest Image (width x height) accepted; larger ones are refused before any encoding."),
    Setting("lock_wait", float, 10.0, "RUNYARD_LOCK_WAIT",
            "Seconds init(resume='allow') waits for another process writing the same run to finish."),
    Setting("system_metrics", bool, True, "RUNYARD_SYSTEM_METRICS",
            "Sample CPU, memory, disk, network and GPU use into the run's system/ stream (docs/run-log.md)."),
    Setting("x_disable_stats", bool, False, "WANDB_X_DISABLE_STATS",
            "wandb's name for turning system metrics off: True is system_metrics=False."),
    Setting("stats_sample_interval", float, 2.0, "RUNYARD_STATS_SAMPLE_INTERVAL",
            "Seconds between system metric samples."),
    Setting("stats_write_interval", float, 15.0, "RUNYARD_STATS_WRITE_INTERVAL",
            "Seconds between written system metric rows (each the mean of the samples since the last)."),
    Setting("save_code", bool, False, "RUNYARD_SAVE_CODE",
            "Store the main script with the run (files/code/); init(save_code=True) sets it."),
    Setting("capture_environment", bool, True, "RUNYARD_CAPTURE_ENVIRONMENT",
            "Record git commit/branch/remote and diff, requirements.txt, the conda environment, hardware "
            "and allow-listed environment variables (gathered off the caller's thread)."),
    Setting("env_allow", str, "", "RUNYARD_ENV_ALLOW",
            "Comma-separated extra environment variable names to record; names holding KEY, TOKEN, "
            "SECRET or PASSWORD are never recorded."),
    Setting("max_diff_bytes", int, 1_000_000, "RUNYARD_MAX_DIFF_BYTES",
            "Largest git diff stored as files/diff.patch; a longer one is cut with a line saying so."),
    Setting("max_code_bytes", int, 10_000_000, "RUNYARD_MAX_CODE_BYTES",
            "Most bytes of source files log_code() stores; files past it are listed as left out."),
    Setting("base_url", str, "", "RUNYARD_BASE_URL", "URL of a runyard server, for online mode and Api()."),
    Setting("api_key", str, "", "RUNYARD_API_KEY", "API key for a runyard server."),
    Setting("upload_timeout", float, 60.0, "RUNYARD_UPLOAD_TIMEOUT",
            "Online mode: longest time finish() waits for the server to acknowledge the log; what is "
            "left is sent by `runyard sync`."),
    Setting("blobs", str, "", "RUNYARD_BLOBS",
            "Blob store of artifacts: a folder, file:// or s3://bucket/prefix URL (empty: <dir>/.blobs)."),
)

_BY_NAME = {s.name: s for s in SETTINGS}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse(setting: Setting, raw: Any, origin: str) -> Any:
    try:
        if setting.type is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(raw)
        return setting.type(raw)
    except (TypeError, ValueError):
        raise ValueError(
            f"setting {setting.name!r} from {origin} must be a {setting.type.__name__}, got {raw!r}"
        ) from None


def resolve(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return every setting's value: ``overrides`` first, then the environment, then the default."""
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(_BY_NAME)
    if unknown:
        raise ValueError(
            f"unknown setting(s) {sorted(unknown)}; known settings: {sorted(_BY_NAME)}"
        )
    out: dict[str, Any] = {}
    for s in SETTINGS:
        if s.name in overrides and overrides[s.name] is not None:
            out[s.name] = _parse(s, overrides[s.name], "init(settings=...)")
        elif s.env in os.environ:
            out[s.name] = _parse(s, os.environ[s.env], f"${s.env}")
        elif s.name == "mode" and "WANDB_MODE" in os.environ:
            out[s.name] = _parse(s, os.environ["WANDB_MODE"], "$WANDB_MODE")
        else:
            out[s.name] = s.default
    return out


# The settings given to the latest ``init`` in this process (``init`` calls ``activate``), for code
# that has no run at hand, such as ``Image`` checking its size.
_active: dict[str, Any] = {}


def activate(overrides: dict[str, Any]) -> None:
    """Remember the settings ``init`` was given, for ``current``."""
    _active.clear()
    _active.update(overrides)


def current(name: str) -> Any:
    """A setting as the latest ``init`` in this process was given it, else from the environment or
    its default."""
    return resolve(_active)[name]
