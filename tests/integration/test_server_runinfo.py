"""The run page's environment, code, code diff, alerts, file names and system-metric series over
real HTTP routes (in process), from runs the SDK wrote with system metrics and capture on."""

from __future__ import annotations

import subprocess
import textwrap
import time
from pathlib import Path

import pytest

import runyard
from runyard.server import create_app
from runyard.server.testing import InProcessClient


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    runs = tmp_path / "runs"
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=work, check=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    (work / "train.py").write_text("def train():\n    return 1\n")
    (work / "notes.txt").write_text("first notes")
    settings = {"system_metrics": True, "capture_environment": True, "stats_sample_interval": 0.05,
                "stats_write_interval": 0.1}
    a = runyard.init(project="p", id="runa", dir=str(runs), settings=settings)
    a.log_code(str(work))
    a.save("notes.txt", policy="now")
    a.log({"img": runyard.Image(__import__("numpy").zeros((4, 4, 3), dtype="uint8")), "loss": 1.0})
    a.alert("Diverged", "loss is NaN", level="ERROR")
    time.sleep(0.8)
    a.finish()
    (work / "train.py").write_text(textwrap.dedent("""\
        def train():
            return 2
        """))
    (work / "extra.py").write_text("X = 1\n")
    b = runyard.init(project="p", id="runb", dir=str(runs), settings=settings)
    b.log_code(str(work))
    b.finish()
    return runs


def test_environment_code_alerts_and_files(root: Path) -> None:
    with InProcessClient(create_app(root, follow=False)) as client:
        env = client.get("/api/runs/p/runa/environment").json()
        assert env["captured"] and env["env"]["CUDA_VISIBLE_DEVICES"] == "1"
        assert any(p["name"].lower() == "msgpack" and p["version"] for p in env["packages"])
        assert env["hardware"]["cpu_count"] and env["gpu_count"] == len(env["gpus"])
        assert env["python"] and env["os"]

        code = client.get("/api/runs/p/runa/code").json()
        assert [f["path"] for f in code["files"]] == ["train.py"]
        diff = client.get("/api/runs/p/runb/code/compare", params={"other": "runa"}).json()
        by_path = {f["path"]: f for f in diff["files"]}
        assert by_path["extra.py"]["status"] == "added"
        assert by_path["train.py"]["status"] == "changed"
        assert "-    return 1" in by_path["train.py"]["diff"] and "+    return 2" in by_path["train.py"]["diff"]
        assert client.get("/api/runs/p/runb/code/compare", params={"other": "nope"}).status_code == 404

        alerts = client.get("/api/runs/p/runa/alerts").json()["alerts"]
        assert [(a["title"], a["level"], a["text"]) for a in alerts] == [("Diverged", "ERROR", "loss is NaN")]
        runs = {r["id"]: r for r in client.get("/api/projects/p/runs").json()["runs"]}
        assert runs["runa"]["flags"]["alerts"] == {"count": 1, "level": "ERROR", "last": "Diverged"}
        assert "alerts" not in runs["runb"]["flags"]

        files = {f["path"]: f for f in client.get("/api/runs/p/runa/files").json()["files"]}
        media = [f for p, f in files.items() if p.startswith("media/")]
        assert media and media[0]["key"] == "img" and media[0]["step"] == 0
        assert "files/notes.txt" in files and "key" not in files["files/notes.txt"]
        assert client.get(files["files/code/train.py"]["url"]).text == "def train():\n    return 1\n"
        assert "files/requirements.txt" in files


def test_system_metrics_chart_against_wall_and_relative_time(root: Path) -> None:
    with InProcessClient(create_app(root, follow=False)) as client:
        keys = {k["key"] for k in client.get("/api/runs/p/runa/keys").json()["keys"]}
        assert "system/cpu.percent" in keys and "system/proc.rss_mb" in keys
        run = client.get("/api/runs/p/runa").json()
        assert run["last_step"] == 0 and not any(k.startswith("system/") for k in run["summary"])
        for axis in ("_runtime", "_timestamp"):
            answer = client.get("/api/runs/p/runa/series", params={"key": "system/proc.rss_mb", "x_axis": axis})
            (series,) = answer.json()["series"]
            xs = series["x"]
            assert len(xs) >= 2 and xs == sorted(xs) and series["mean"][0] > 1  # MiB of a Python process
            if axis == "_timestamp":
                assert xs[0] >= run["created_at"]
            else:
                assert 0 <= xs[0] < 5
