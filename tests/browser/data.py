"""Small real data for the browser tests, logged through the SDK (runyard.init / log / finish).

``make_workspace(root)`` writes project ``vision``: three finished runs with metrics under
``train/`` and ``val/``, an ``epoch`` key, config and summary, console output, and media of
every kind at a few steps; and project ``empty-keys`` with one run that logged only config.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import runyard

PROJECT = "vision"


def _image(step: int, size: int = 48) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size]
    img = np.zeros((size, size, 3), dtype=np.uint8)
    img[..., 0] = (x * 255 // size + step * 40) % 256
    img[..., 1] = (y * 255 // size) % 256
    img[..., 2] = 120
    return img


def make_workspace(root: Path, steps: int = 60) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {PROJECT: [], "empty-keys": []}
    for i, (lr, opt) in enumerate([(0.1, "sgd"), (0.01, "adam"), (0.001, "adam")]):
        run = runyard.init(dir=root, project=PROJECT, name=f"run-{opt}-{i}", config={"lr": lr, "optimizer": opt,
                           "layers": 2 + i, "model": {"width": 64 * (i + 1)}}, tags=["baseline"] if i == 0 else ["sweep"])
        rng = np.random.default_rng(i)
        run.define_metric("val/*", step_metric="epoch")  # val charts default to x = epoch
        run.define_metric("train/loss", summary="min,last")
        for s in range(steps):
            loss = math.exp(-s * lr * 3 / (i + 1)) + 0.05 * rng.random() + 0.1 * i
            row = {"train/loss": loss, "train/acc": 1 - loss / 2, "val/loss": loss * 1.1, "epoch": s // 10,
                   "lr": lr * (0.99 ** s)}
            if s % 20 == 0:
                mask = np.zeros((48, 48), dtype=np.uint8)
                mask[10:30, 10:30] = 1
                mask[30:40, 5:45] = 2
                row["samples"] = runyard.Image(_image(s), caption=f"step {s}",
                    masks={"prediction": {"mask_data": mask, "class_labels": {1: "cat", 2: "grass"}}},
                    boxes={"detections": {"box_data": [
                        {"position": {"minX": 0.1, "maxX": 0.6, "minY": 0.1, "maxY": 0.6}, "class_id": 1,
                         "box_caption": "cat", "scores": {"conf": 0.9}},
                        {"position": {"minX": 0.5, "maxX": 0.9, "minY": 0.5, "maxY": 0.9}, "class_id": 2,
                         "scores": {"conf": 0.2}}], "class_labels": {1: "cat", 2: "dog"}}})
                row["weights"] = runyard.Histogram(rng.normal(s / 20, 1 + i * 0.3, 500))
                t = np.linspace(0, 0.25, 4000)
                row["sound"] = runyard.Audio(0.3 * np.sin(2 * math.pi * (220 + 110 * s / 20) * t), sample_rate=16000)
                row["clip"] = runyard.Video(np.stack([np.transpose(_image(s + k, 32), (2, 0, 1))
                                                      for k in range(4)]), fps=4)
                row["report"] = runyard.Html(f"<h3>Report at step {s}</h3><p>loss {loss:.3f}</p>")
                row["predictions"] = runyard.Table(columns=["id", "label", "score"],
                                                   data=[[k, ["cat", "dog", "bird"][k % 3], round(float(rng.random()), 3)]
                                                         for k in range(30)])
            run.log(row)
        print(f"training {opt} finished")
        run.summary["best_acc"] = 0.9 - 0.1 * i
        run.finish()
        ids[PROJECT].append(run.id)
    run = runyard.init(dir=root, project="empty-keys", name="only-config", config={"a": 1})
    run.finish()
    ids["empty-keys"].append(run.id)
    return ids


RICH = "rich"
ALA3 = Path(__file__).resolve().parents[1] / "fixtures" / "molecules" / "ala3.pdb"


def make_rich(root: Path) -> str:
    """Project ``rich``: one run with a molecule, a point cloud scene, a glTF 1.0 model, a Plotly
    figure, a custom chart and a summary histogram."""
    import plotly.graph_objects as go

    run = runyard.init(dir=root, project=RICH, name="rich-media", config={"kind": "rich"})
    rng = np.random.default_rng(7)
    # a glTF 1.0 model (two 1×2×3 boxes, one red): upgraded to glTF 2.0 when logged, for the viewer
    import json
    import warnings

    from gltf1_fixture import gltf1_box

    (root.parent / "box-gltf1.gltf").write_text(json.dumps(gltf1_box()[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "upgraded without its techniques"
        model = runyard.Object3D(str(root.parent / "box-gltf1.gltf"))
    for s in range(2):
        pts = np.concatenate([rng.normal(0, 1, (400, 3)), rng.integers(1, 6, (400, 1))], axis=1)
        fig = go.Figure(go.Scatter(x=list(range(10)), y=[v * (s + 1) for v in range(10)], mode="lines+markers"))
        table = runyard.Table(columns=["step", "height"], data=[[i, float(np.sin(i / 3) + s)] for i in range(30)])
        run.log({
            "protein": runyard.Molecule(str(ALA3)),
            "lidar": runyard.Object3D({"type": "lidar/beta", "points": pts,
                                       "boxes": [{"corners": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1],
                                                              [1, 0, 1], [1, 1, 1], [0, 1, 1]], "label": "car", "color": [255, 0, 0]}],
                                       "vectors": [{"start": [0, 0, 0], "end": [2, 2, 2]}]}),
            "model_gltf1": model,
            "figure": fig,
            "height_chart": runyard.plot.line(table, "step", "height", title="Height"),
            "loss": 1.0 / (s + 1),
        })
    run.summary["grad_hist"] = runyard.Histogram(rng.normal(0, 1, 1000))
    # logged to the summary only: drawn on the overview and in the workspace's "Summary media"
    summary_table = runyard.Table(columns=["x", "y"], data=[[i, float(i * i)] for i in range(12)])
    run.summary["final_curve"] = runyard.plot.line(summary_table, "x", "y", title="Final curve")
    run.summary["final_figure"] = go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2]))
    run.finish()
    return str(run.id)


LONG = "long"


def make_long(root: Path, steps: int = 6000) -> str:
    """Project ``long``: one run with a series longer than a chart asks for, with one spike."""
    run = runyard.init(dir=root, project=LONG, name="long-run")
    for s in range(steps):
        run.log({"metric": 100.0 if s == 4321 else math.sin(s / 300)})
    run.finish()
    return str(run.id)


LIVE_SCRIPT = """
import sys, time, runyard
run = runyard.init(dir=sys.argv[1], project="live", name="live-run")
print(run.id, flush=True)
for s in range(int(sys.argv[2])):
    run.log({"live/loss": 1.0 / (s + 1)})
    time.sleep(float(sys.argv[3]))
run.finish()
"""


def make_many(root: Path, n: int = 300) -> None:
    """Project ``many``: n small runs, for the virtualised runs table."""
    for i in range(n):
        run = runyard.init(dir=root, project="many", name=f"r{i:03d}", config={"i": i, "lr": i / n})
        run.log({"loss": 1.0 / (i + 1)})
        run.finish()


SPIKES = {123_457: 8.0, 500_001: -6.0, 777_777: 5.0}


def make_spiky(root: Path, n: int = 1_000_000) -> str:
    """Project ``million``: one run whose key ``y`` has n points, a slow wave with noise and
    single-point spikes up and down (``SPIKES``). Written with the test log writer (the SDK's
    record format) in batches: a million ``log()`` calls would take most of a minute."""
    import random

    from runyard.log.records import Kind
    from runyard.store.fixtures import LogWriter

    rnd = random.Random(3)
    w = LogWriter(root, "million", "spiky001", name="spiky")
    batch: list[list[object]] = []
    for s in range(n):
        v = SPIKES.get(s)
        y = v if v is not None else math.sin(s / 50_000) + (rnd.random() - 0.5) * 0.2
        batch.append([Kind.ROW, s, w.t0 + s * 0.001, s * 0.001, {"y": y}])
        if len(batch) == 20_000:
            w.write(*batch)
            batch = []
    if batch:
        w.write(*batch)
    w.step = n
    w.end()
    return "spiky001"
