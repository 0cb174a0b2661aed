"""Sweeps on a folder: ``sweep`` + ``agent`` with a function, agents in several processes taking
each set once, a program agent from the command line, and wandb's own names through the alias."""

from __future__ import annotations

import json
import multiprocessing
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import runyard
from runyard.cli import main
from runyard.errors import RunyardWarning, UsageError

GRID = {"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"lr": {"values": [0.1, 0.01, 0.001]}, "bs": {"values": [16, 32]}}}


def runs_of(project: str) -> list[Any]:
    return list(runyard.Api().runs(project))


def test_function_agent_runs_each_set_once_with_the_sweeps_values(capfd: pytest.CaptureFixture[str]) -> None:
    seen: list[dict[str, Any]] = []

    def train() -> None:
        run = runyard.init(project="ignored", config={"lr": 1.0, "epochs": 2})  # the sweep's project wins
        with pytest.warns(RunyardWarning, match="'lr' was set by sweep"):
            run.config.update({"lr": 5.0})  # locked: the sweep's value stays
        run.config.update({"extra": True})  # another key: as usual
        seen.append({"id": run.id, "sweep": run.sweep_id, **dict(run.config)})
        run.log({"loss": run.config.lr * run.config.bs})
        if run.config.bs == 32 and run.config.lr == 0.01:
            raise RuntimeError("this one fails")  # the agent says so, ends the run as failed, goes on

    sweep_id = runyard.sweep(GRID, project="sw")
    runyard.agent(sweep_id, function=train, count=4)
    assert [(s["lr"], s["bs"]) for s in seen] == [(0.1, 16), (0.1, 32), (0.01, 16), (0.01, 32)]
    runyard.agent(sweep_id, function=train)  # the rest, then it stops
    err = capfd.readouterr().err
    assert "RuntimeError: this one fails" in err and "every parameter set has been taken" in err
    assert [(s["lr"], s["bs"]) for s in seen][4:] == [(0.001, 16), (0.001, 32)]
    assert all(s["sweep"] == sweep_id and s["epochs"] == 2 and s["extra"] is True for s in seen)
    runs = {r.id: r for r in runs_of("sw")}
    assert set(runs) == {s["id"] for s in seen} and runs_of("ignored") == []
    states = sorted((r.config["lr"], r.config["bs"], r.state, r.summary["loss"]) for r in runs.values())
    assert states[3] == (0.01, 32, "failed", 0.32) and [s[2] for s in states].count("finished") == 5
    assert all(r.metadata["sweep_id"] == sweep_id for r in runs.values())
    read = runyard.Api().sweep(f"local/sw/{sweep_id}")
    assert (read.id, read.method, read.project, read.state, read.expected_run_count) == \
        (sweep_id, "grid", "sw", "finished", 6)
    assert [r.id for r in read.runs] == [s["id"] for s in seen]  # oldest first
    best = read.best_run()  # the sweep's metric: loss, minimize
    assert best is not None and (best.config["lr"], best.config["bs"]) == (0.001, 16)
    worst = read.best_run(order="-summary_metrics.loss")
    assert worst is not None and (worst.config["lr"], worst.config["bs"]) == (0.1, 32)
    with pytest.raises(UsageError, match="no sweep 'nope'"):
        runyard.Api().sweep("nope")
    with pytest.raises(UsageError, match="kept in the runs folder"):
        runyard.Api(base_url="http://127.0.0.1:9").sweep(sweep_id)


def test_a_function_without_init_and_a_sweep_not_there_are_said(capfd: pytest.CaptureFixture[str]) -> None:
    sweep_id = runyard.sweep({"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}}, project="sw")
    runyard.agent(sweep_id, function=lambda: None, count=2)
    assert capfd.readouterr().err.count("the function did not call init()") == 2
    read = runyard.Api().sweep(sweep_id)  # a random search with no run_cap has no end of its own
    assert read.runs == [] and read.expected_run_count is None and read.state == "running"
    with pytest.raises(UsageError, match="names no metric"):
        read.best_run()
    with pytest.raises(UsageError, match="no sweep 'nope'"):
        runyard.agent("nope", function=lambda: None)
    with pytest.raises(ValueError, match="count must be a positive integer"):
        runyard.agent(sweep_id, function=lambda: None, count=0)


def _agent_process(root: str, sweep_id: str, out: str) -> None:
    import os

    os.environ["RUNYARD_DIR"] = root
    ids: list[Any] = []

    def train() -> None:
        with runyard.init() as run:
            ids.append([run.config.lr, run.config.bs])

    runyard.agent(sweep_id, function=train, count=4)
    Path(out).write_text(json.dumps(ids))


def test_agents_in_two_processes_take_each_set_once(tmp_path: Path) -> None:
    root = str(tmp_path / "runs")
    sweep_id = runyard.sweep(GRID, project="sw")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_agent_process, args=(root, sweep_id, str(tmp_path / f"out{i}.json")))
             for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    taken = [tuple(x) for i in range(2) for x in json.loads((tmp_path / f"out{i}.json").read_text())]
    assert sorted(taken) == sorted((lr, bs) for lr in (0.1, 0.01, 0.001) for bs in (16, 32))  # 6, none twice
    claims = (tmp_path / "runs" / ".sweeps" / sweep_id / "claims.jsonl").read_text().splitlines()
    assert [json.loads(c)["n"] for c in claims] == list(range(6))


def test_program_agent_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program = tmp_path / "train.py"
    program.write_text(
        "import argparse, runyard as wandb\n"
        "ap = argparse.ArgumentParser()\n"
        "ap.add_argument('--lr', type=float); ap.add_argument('--opt')\n"
        "args = ap.parse_args()\n"
        "with wandb.init(config=vars(args)) as run:\n"
        "    run.log({'loss': run.config.lr, 'adam': run.config.opt == 'adam'})\n")
    config = tmp_path / "sweep.json"
    config.write_text(json.dumps({"program": str(program), "method": "random", "run_cap": 3,
                                  "parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-4,
                                                        "max": 1e-2}, "opt": {"values": ["adam", "sgd"]}}}))
    monkeypatch.chdir(tmp_path)
    made = CliRunner().invoke(main, ["sweep", str(config), "--project", "cli-sweep"])
    assert made.exit_code == 0, made.output
    sweep_id = made.output.strip().splitlines()[-1]
    done = CliRunner().invoke(main, ["agent", sweep_id])
    assert done.exit_code == 0, done.output
    runs = runs_of("cli-sweep")
    assert len(runs) == 3 and all(r.state == "finished" and r.metadata["sweep_id"] == sweep_id for r in runs)
    assert all(1e-4 <= r.config["lr"] <= 1e-2 and r.summary["loss"] == r.config["lr"] for r in runs)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"method": "grid", "parameters": {"lr": {"min": 0.0, "max": 1.0}}}))
    refused = CliRunner().invoke(main, ["sweep", str(bad)])
    assert refused.exit_code == 1 and "bad.json: parameter 'lr': a grid search needs" in refused.output
    no_program = runyard.sweep({"method": "grid", "parameters": {"a": {"value": 1}}})
    missing = CliRunner().invoke(main, ["agent", no_program])
    assert missing.exit_code == 1 and "has no 'program' to run" in missing.output
    assert not (tmp_path / "runs" / ".sweeps" / no_program / "claims.jsonl").exists()  # no set was taken


def test_wandb_names_through_the_alias() -> None:
    from runyard.compat import wandb as compat

    sweep_id = compat.sweep({"method": "grid", "parameters": {"a": {"values": [1, 2]}}}, project="alias")
    got: list[int] = []
    compat.agent(sweep_id, function=lambda: got.append(runyard.init().config.a))
    assert got == [1, 2] and sys.modules["runyard"].sweep is runyard.sweep
