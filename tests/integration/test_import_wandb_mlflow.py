"""``runyard import wandb`` and ``runyard import mlflow`` on runs the real libraries wrote (wandb in
offline mode, MLflow with a local SQLite store), counted on both sides; ``runyard export`` back out."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import runyard
from runyard.importers.export import export_runs
from runyard.importers.report import ImportReport

STEPS = 60


def _acc(i: int) -> float:
    return {3: math.nan, 4: math.inf, 5: -math.inf}.get(i, i / STEPS)


def _eq(a: object, b: float) -> bool:
    return isinstance(a, (int, float)) and ((math.isnan(a) and math.isnan(b)) or a == b)


def _clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "RUNYARD_"))}
    env.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=str(tmp), HOME=str(tmp))
    return env


WANDB_SCRIPT = textwrap.dedent(f"""
    import numpy as np, wandb
    run = wandb.init(project="wb", config={{"lr": 0.01, "layers": [4, 8]}}, tags=["x", "y"], group="g",
                     job_type="train", notes="imported", name="first")
    for i in range({STEPS}):
        acc = {{3: float("nan"), 4: float("inf"), 5: float("-inf")}}.get(i, i / {STEPS})
        row = {{"loss": 1 / (i + 1), "acc": acc, "epoch": i // 10}}
        if i % 20 == 0:
            row["img"] = wandb.Image(np.full((6, 5, 3), i, dtype=np.uint8), caption=f"step {{i}}")
            row["hist"] = wandb.Histogram(np.arange(100))
            row["table"] = wandb.Table(columns=["a", "b"], data=[[i, "x"], [i + 1, "y"]])
        wandb.log(row)
    print("hello from the script")
    run.summary["best_acc"] = 0.75
    run.finish()
""")


@pytest.fixture(scope="module")
def wandb_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("wandb", reason="needs the import-wandb extra (pip install 'runyard[import-wandb]')")
    tmp = tmp_path_factory.mktemp("wandb")
    (tmp / "script.py").write_text(WANDB_SCRIPT)
    done = subprocess.run([sys.executable, "script.py"], cwd=tmp, env=_clean_env(tmp), capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = list((tmp / "wandb").glob("offline-run-*"))
    assert len(runs) == 1
    return runs[0]


def test_wandb_offline_run_imports_whole(wandb_runs: Path, tmp_path: Path) -> None:
    from runyard.importers.wandb import import_runs

    report = import_runs([wandb_runs], tmp_path)
    assert report.runs == 1 and not report.errors, report.lines()
    run = runyard.Api(root=tmp_path).runs("wb")[0]
    assert run.id == wandb_runs.name.rsplit("-", 1)[1]
    assert (run.name, run.group, run.notes, list(run.tags)) == ("first", "g", "imported", ["x", "y"])
    assert run.config == {"lr": 0.01, "layers": [4, 8]}
    assert run.state == "finished"
    rows = list(run.scan_history())
    assert [r["_step"] for r in rows] == list(range(STEPS))
    for r in rows:
        i = r["_step"]
        assert _eq(r["acc"], _acc(i)) and r["loss"] == pytest.approx(1 / (i + 1), rel=1e-15)
    media = [r for r in rows if "img" in r]
    assert [r["_step"] for r in media] == [0, 20, 40]
    assert media[1]["img"].to_pil().getpixel((0, 0)) == (20, 20, 20)
    assert media[1]["img"].caption == "step 20"
    assert sum(media[0]["hist"].values) == 100
    assert media[2]["table"].columns == ["a", "b"] and media[2]["table"].data == [[40, "x"], [41, "y"]]
    assert run.summary["best_acc"] == 0.75 and run.summary["loss"] == pytest.approx(1 / STEPS)
    assert "hello from the script" in run.output()
    assert not report.unmapped.get("wandb system-metric samples (stats records)")
    # importing again duplicates nothing
    again = import_runs([wandb_runs.parent], tmp_path)
    assert (again.runs, again.skipped) == (0, 1)


def test_wandb_damaged_log_is_reported(wandb_runs: Path, tmp_path: Path) -> None:
    import shutil

    from runyard.importers.wandb import import_runs

    copy = tmp_path / "src" / wandb_runs.name
    shutil.copytree(wandb_runs, copy)
    log = next(copy.glob("*.wandb"))
    data = bytearray(log.read_bytes())
    data[len(data) // 2] ^= 0xFF
    log.write_bytes(bytes(data))
    report = import_runs([copy], tmp_path / "out")
    assert report.runs == 0 and any("checksum" in e for e in report.errors)
    assert not (tmp_path / "out" / "wb").exists() or not any((tmp_path / "out" / "wb").iterdir())


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    pytest.importorskip("mlflow", reason="needs the import-mlflow extra (pip install 'runyard[import-mlflow]')")
    tmp = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    script = textwrap.dedent(f"""
        import math, mlflow, numpy as np
        from PIL import Image
        mlflow.set_tracking_uri({uri!r})
        mlflow.set_experiment("my experiment")
        for r in range(2):
            with mlflow.start_run(run_name=f"run{{r}}"):
                mlflow.log_params({{"lr": 0.01 * (r + 1), "optimizer": "adam", "layers": 3}})
                mlflow.set_tag("team", "vision")
                for i in range({STEPS}):
                    acc = {{3: math.nan, 4: math.inf, 5: -math.inf}}.get(i, i / {STEPS})
                    mlflow.log_metrics({{"loss": 1 / (i + 1), "acc": acc}}, step=i)
                Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save("plot.png")
                mlflow.log_artifact("plot.png", "figures")
    """)
    (tmp / "make.py").write_text(script)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    done = subprocess.run([sys.executable, "make.py"], cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return uri


# MLflow's own SQL store uses SQLAlchemy APIs that SQLAlchemy 2.1 deprecates: not ours to fix.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_mlflow_runs_import_whole(mlflow_store: str, tmp_path: Path) -> None:
    from runyard.importers.mlflow import import_tracking

    report = import_tracking(mlflow_store, tmp_path)
    assert report.runs == 2 and not report.errors, report.lines()
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_store)
    runs = sorted(runyard.Api(root=tmp_path).runs("my-experiment"), key=lambda r: r.name)
    assert [r.name for r in runs] == ["run0", "run1"]
    for n, run in enumerate(runs):
        assert run.config == {"lr": 0.01 * (n + 1), "optimizer": "adam", "layers": 3}
        assert "team=vision" in run.tags and run.state == "finished"
        rows = {r["_step"]: r for r in run.scan_history()}
        assert len(rows) == STEPS
        for key in ("acc", "loss"):  # every point MLflow holds (its SQL store clamps inf to ±max float)
            source = client.get_metric_history(run.id, key)
            assert len(source) == STEPS
            assert all(_eq(rows[m.step][key], m.value) for m in source)
        assert math.isnan(rows[3]["acc"])
        assert run.summary["artifacts/figures/plot.png"].to_pil().size == (4, 4)
    again = import_tracking(mlflow_store, tmp_path)
    assert (again.runs, again.skipped) == (0, 2)


def test_export_formats_keep_every_value(wandb_runs: Path, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow", reason="needs the export extra")
    from runyard.importers.wandb import import_runs

    import_runs([wandb_runs], tmp_path / "runs", report=ImportReport())
    run = runyard.Api(root=tmp_path / "runs").runs("wb")[0]
    for fmt in ("parquet", "csv", "jsonl"):
        counts = export_runs([run], tmp_path / fmt, fmt)
        assert counts == {"runs": 1, "rows": STEPS}
        path = tmp_path / fmt / "wb" / f"{run.id}.history.{fmt}"
        if fmt == "parquet":
            df = pd.read_parquet(path)
        elif fmt == "csv":
            df = pd.read_csv(path)
        else:
            lines = [json.loads(x) for x in path.read_text().splitlines()]
            assert lines[3]["acc"] == {"$float": "NaN"} and lines[4]["acc"] == {"$float": "Infinity"}
            assert "img" not in lines[1] and json.loads(lines[0]["img"])["_type"] == "image-file"
            continue
        assert all(_eq(df["acc"][i], _acc(i)) for i in range(STEPS))
        assert df["img"].isna().sum() == STEPS - 3  # missing is not NaN-valued: only 3 rows hold images
        runs_table = pd.read_csv(tmp_path / fmt / "wb" / "runs.csv") if fmt == "csv" else pd.read_parquet(
            tmp_path / fmt / "wb" / "runs.parquet")
        assert runs_table["summary.best_acc"].tolist() == [0.75]
        assert runs_table["config.lr"].tolist() == [0.01]
    # the read API writes the same history
    df = pd.read_parquet(run.to_parquet(tmp_path / "one.parquet"))
    assert len(df) == STEPS and all(_eq(df["acc"][i], _acc(i)) for i in range(STEPS))
