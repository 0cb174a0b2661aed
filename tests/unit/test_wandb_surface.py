"""wandb's surface beyond log() (docs/wandb-compat.md): login, WANDB_* variables, Settings,
config files, log() without data, config rules, run.url and friends."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

import runyard
from runyard import credentials
from runyard.errors import ConfigError


@pytest.fixture(autouse=True)
def _no_wandb_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in list(os.environ):
        if var.startswith("WANDB_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("RUNYARD_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.chdir(tmp_path)


def test_login_stores_the_key_for_later_and_returns_true(tmp_path: Path) -> None:
    assert runyard.login() is True  # nothing to do offline
    assert not credentials.credentials_path().exists()
    assert runyard.login(key="abc123", host="http://team:8080") is True
    path = credentials.credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert credentials.load_key("http://team:8080") == "abc123"
    assert json.loads(path.read_text()) == {"keys": {"http://team:8080": "abc123"}, "default": "http://team:8080"}
    assert credentials.default_host() == "http://team:8080"  # online mode's server when none is named
    runyard.login(key="k2")
    assert credentials.load_key() == "k2" and credentials.load_key("http://other") == "k2"


def test_init_honours_wandb_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"WANDB_PROJECT": "envproj", "WANDB_ENTITY": "team", "WANDB_NAME": "nice-name", "WANDB_NOTES": "n1",
           "WANDB_TAGS": "a, b", "WANDB_RUN_GROUP": "g", "WANDB_JOB_TYPE": "train", "WANDB_RUN_ID": "abc12345",
           "WANDB_DIR": "/nonexistent/scratch", "WANDB_SILENT": "true", "WANDB_CONSOLE": "off"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    run = runyard.init()
    assert (run.project, run.id, run.name, run.entity) == ("envproj", "abc12345", "nice-name", "team")
    assert run.settings["console"] == "off"
    run.log({"x": 1})
    run.finish()
    api_run = runyard.Api().run("envproj/abc12345")
    assert (api_run.notes, api_run.tags, api_run.group, api_run.job_type) == ("n1", ["a", "b"], "g", "train")
    # an explicit argument wins over the environment
    run = runyard.init(project="explicit", id="zzz99999")
    assert (run.project, run.id) == ("explicit", "zzz99999")


def test_resume_through_wandb_run_id_and_wandb_resume(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_RUN_ID", "resume01")
    monkeypatch.setenv("WANDB_RESUME", "allow")
    first = runyard.init(project="r")
    first.log({"loss": 1.0})
    first.finish()
    second = runyard.init(project="r")
    assert second.resumed and second.id == "resume01" and second.step == 1
    second.log({"loss": 0.5})
    second.finish()
    api_run = runyard.Api().run("r/resume01")
    assert [row["loss"] for row in api_run.scan_history()] == [1.0, 0.5]
    assert len(runyard.Api().runs("r")) == 1
    monkeypatch.setenv("WANDB_RESUME", "never")
    with pytest.raises(runyard.UsageError, match="already exists"):
        runyard.init(project="r")


def test_wandb_mode_online_without_a_server_logs_locally(monkeypatch: pytest.MonkeyPatch,
                                                         capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WANDB_MODE", "online")
    run = runyard.init(project="m")
    assert run.mode == "offline"
    assert "no runyard server is configured" in capfd.readouterr().err
    run.finish()
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert runyard.init(project="m").disabled


def test_config_defaults_yaml_config_paths_and_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config-defaults.yaml").write_text(
        "wandb_version: 1\nlr:\n  desc: learning rate\n  value: 0.1\nepochs:\n  value: 3\nbatch: 8\n"
    )
    (tmp_path / "extra.json").write_text(json.dumps({"epochs": 5}))
    monkeypatch.setenv("WANDB_CONFIG_PATHS", "extra.json")
    run = runyard.init(project="c", config={"batch": 16})
    assert dict(run.config) == {"lr": 0.1, "epochs": 5, "batch": 16}
    run.finish()
    monkeypatch.delenv("WANDB_CONFIG_PATHS")
    (tmp_path / "exp.yaml").write_text("lr: {value: 0.5}\nlayers: [1, 2]\n")
    run = runyard.init(project="c", config="exp.yaml")
    assert dict(run.config) == {"lr": 0.5, "epochs": 3, "batch": 8, "layers": [1, 2]}
    run.finish()
    with pytest.raises(ConfigError, match="missing.yaml does not exist"):
        runyard.init(project="c", config="missing.yaml")
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        runyard.init(project="c", config="bad.yaml")


def test_settings_accepts_wandb_names_and_ignores_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    settings = runyard.Settings(mode="offline", console="off", run_name="from-settings", x_stats_sampling_interval=5,
                                start_method="thread", _service_wait=30, init_timeout=90)
    with caplog.at_level(logging.DEBUG, logger="runyard"):
        run = runyard.init(project="s", settings=settings)
    assert run.name == "from-settings" and run.settings["console"] == "off"
    ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert len(ignored) == 1 and "x_stats_sampling_interval" in ignored[0] and "start_method" in ignored[0]
    run.finish()
    disabled = runyard.init(project="s", settings=runyard.Settings(mode="disabled"))
    assert disabled.disabled
    settings.update(project="other")
    assert settings.project == "other" and settings.not_set_anywhere is None


def test_log_without_data_commits_the_pending_row() -> None:
    run = runyard.init(project="l")
    run.log({"a": 1}, commit=False)
    run.log({"b": 2}, commit=False)
    runyard.log()
    run.log({"c": 3})
    run.finish()
    rows = list(runyard.Api().run(run.path).scan_history())
    assert [(r["_step"], r.get("a"), r.get("b"), r.get("c")) for r in rows] == [(0, 1, 2, None), (1, None, None, 3)]


def test_config_value_change_needs_allow_val_change() -> None:
    run = runyard.init(project="cfg", config={"lr": 0.1, "tags": {"b", "a"}, "id2label": {0: "neg", 1: "pos"}})
    assert run.config.tags == ["a", "b"] and run.config.id2label == {"0": "neg", "1": "pos"}
    run.config.update({"lr": 0.1})  # same value: fine
    with pytest.raises(ConfigError, match="'lr' from 0.1 to 0.2.*allow_val_change=True"):
        run.config.update({"lr": 0.2})
    with pytest.raises(ConfigError):
        run.config.lr = 0.3
    assert run.config.lr == 0.1
    run.config.update({"lr": 0.2}, allow_val_change=True)
    run.finish()
    assert runyard.Api().run(run.path).config["lr"] == 0.2


@pytest.mark.parametrize("how", ["argument", "settings"])
def test_init_allow_val_change_lets_every_update_change_values(how: str) -> None:
    """``init(allow_val_change=True)`` (or ``Settings(allow_val_change=True)``), as wandb's: later
    updates and assignments may change values already set."""
    kwargs = {"allow_val_change": True} if how == "argument" else {"settings": runyard.Settings(allow_val_change=True)}
    run = runyard.init(project="cfg", config={"lr": 0.1}, **kwargs)
    run.config.update({"lr": 0.2})
    run.config.lr = 0.3
    run.finish()
    assert runyard.Api().run(run.path).config["lr"] == 0.3


def test_run_url_status_preempting_and_label(monkeypatch: pytest.MonkeyPatch) -> None:
    run = runyard.init(project="u")
    assert run.url is None and run.get_url() is None
    status = run.status()
    assert status.sync_items_pending == 0
    run.mark_preempting()
    run._label(code="transformers_trainer")
    assert run.display() is False
    run.finish()
    assert runyard.Api().run(run.path).metadata["preempting"] is True
    monkeypatch.setenv("RUNYARD_BASE_URL", "http://127.0.0.1:8765/")
    run = runyard.init(project="u", id="urlrun01")
    assert run.url == "http://127.0.0.1:8765/p/u/r/urlrun01" and run.get_project_url() == "http://127.0.0.1:8765/p/u"


def test_terminal_helpers_setup_require_errors_and_util(capfd: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    runyard.termlog("hello\nworld")
    runyard.termwarn("careful")
    runyard.termerror("broken", prefix=False)
    err = capfd.readouterr().err
    assert "runyard: hello\nrunyard: world\n" in err and "runyard: WARNING: careful" in err and "ERROR: broken" in err
    monkeypatch.setenv("WANDB_SILENT", "true")
    runyard.termlog("quiet please")
    assert "quiet please" not in capfd.readouterr().err
    assert runyard.setup() is runyard.setup()
    runyard.require("service")
    assert issubclass(runyard.errors.CommError, runyard.Error) and issubclass(runyard.UsageError, runyard.Error)
    assert len(runyard.util.generate_id()) == 8 and runyard.util.generate_id(12).isalnum()
    assert runyard.util.make_artifact_name_safe("my model:v1/a b") == "my_model_v1_a_b"
    long = runyard.util.make_artifact_name_safe("x" * 200)
    assert len(long) == 128 and ".." in long


def test_init_arguments_runyard_does_not_honour_are_said_not_dropped(capfd: pytest.CaptureFixture[str]) -> None:
    run = runyard.init(project="args", fork_from="abc123?_step=10", anonymous="allow")
    run.log({"x": 1.0})
    run.finish()
    err = capfd.readouterr().err
    assert "init(fork_from='abc123?_step=10'): runyard does not fork runs" in err
    assert "anonymous" not in err  # meaningless here: accepted quietly
    assert [r["x"] for r in runyard.Api().run(run.path).scan_history()] == [1.0]
