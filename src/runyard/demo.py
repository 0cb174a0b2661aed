"""``runyard demo``: log a small learning-rate sweep that uses every value type and panel, so the
UI has something real to show: scalars with a spike, histograms, images with masks and boxes,
audio, video, HTML, tables, molecules, point clouds, plotly and matplotlib charts, custom charts."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import settings as settings_mod

PROJECT = "demo"
LEARNING_RATES = (0.1, 0.03, 0.01, 0.003, 0.001)


def run_demo(directory: str | None, n_runs: int = 3, steps: int = 1000,
             progress: Callable[[int], None] | None = None) -> Path:
    """Log ``n_runs`` runs of ``steps`` steps into ``directory``; return the runs root.

    ``progress(n)`` is called as steps are logged (for a progress bar).
    """
    from .sdk.lifecycle import init

    root = Path(directory or settings_mod.resolve()["dir"]).expanduser().resolve()
    rng = np.random.default_rng(7)
    for i in range(n_runs):
        lr = LEARNING_RATES[i % len(LEARNING_RATES)]
        run = init(
            project=PROJECT, dir=os.fspath(root), reinit="create_new", settings={"console": "off"},
            config={"lr": lr, "batch_size": 64, "optimizer": "adam" if i % 2 == 0 else "sgd",
                    "model": {"depth": 4 + i, "width": 128}},
            tags=["demo", "sweep"], group="lr-sweep", job_type="train",
            notes="Logged by `runyard demo`: a toy training loop that logs every kind of value.",
        )
        run.define_metric("val/*", step_metric="epoch")
        run.define_metric("val/acc", summary="max")
        run.define_metric("train/loss", summary="min,last")
        media_every = max(1, steps // 10)
        for step in range(steps):
            row = _scalars(step, steps, lr, i, rng)
            if step % media_every == media_every - 1 or step == steps - 1:
                row.update(_media(step, steps, lr, i, rng))
            run.log(row)
            if progress is not None:
                progress(1)
        run.summary.update(_summary_extras(rng, lr))
        run.finish()
    return root


def _scalars(step: int, steps: int, lr: float, i: int, rng: np.random.Generator) -> dict[str, Any]:
    t = step / max(1, steps - 1)
    loss = 2.5 * math.exp(-lr * 40 * t) + (0.05 + 0.02 * i) * float(rng.standard_normal())
    if i == 0 and step == steps // 2:
        loss += 4.0  # a spike that downsampled charts must still show
    return {
        "train/loss": loss,
        "train/lr": lr * (0.5 + 0.5 * math.cos(math.pi * t)),
        "train/grad_norm": abs(float(rng.normal(1.0 / (1 + 5 * t), 0.1))),
        "epoch": step * 20 // max(1, steps),
        "system/gpu_util": float(np.clip(rng.normal(0.8, 0.05), 0, 1)),
    }


def _media(step: int, steps: int, lr: float, i: int, rng: np.random.Generator) -> dict[str, Any]:
    from .types import Audio, Histogram, Html, Image, Object3D, Table, Video

    t = step / max(1, steps - 1)
    acc = 1 - 0.9 * math.exp(-lr * 60 * t) + 0.01 * float(rng.standard_normal())
    image, mask = _picture(t, rng)
    boxes = [
        {"position": {"minX": 0.1, "maxX": 0.45, "minY": 0.15, "maxY": 0.6}, "class_id": 1,
         "box_caption": "cat", "scores": {"confidence": round(0.5 + 0.5 * t, 3)}},
        {"position": {"middle": [0.7, 0.65], "width": 0.3, "height": 0.4}, "class_id": 2,
         "scores": {"confidence": round(0.9 - 0.6 * t, 3)}},
    ]
    classes = {0: "background", 1: "cat", 2: "dog"}
    preds = rng.integers(0, 3, 40)
    table = Table(columns=["id", "prediction", "confidence", "correct"],
                  data=[[k, classes[int(p)], round(float(rng.random()), 3), bool(rng.random() < acc)]
                        for k, p in enumerate(preds)])
    sr = 16_000
    tone = np.arange(sr // 2) / sr
    audio = (0.3 * np.sin(2 * math.pi * (220 + 440 * t) * tone)).astype(np.float32)
    frames = np.stack([_frame(k, t) for k in range(8)])  # (time, channel, height, width)
    cloud = rng.normal(size=(800, 3)) * [2.0, 1.0, 0.5]
    cloud_rgb = np.concatenate([cloud, np.clip((cloud + 3) * 40, 0, 255)], axis=1)
    return {
        "val/acc": acc,
        "val/loss": 2 * (1 - acc) + 0.05 * float(rng.random()),
        "weights/layer1": Histogram(rng.normal(scale=0.5 + t, size=2000)),
        "samples/prediction": Image(image, caption=f"step {step}", masks={
            "segmentation": {"mask_data": mask, "class_labels": classes}},
            boxes={"detections": {"box_data": boxes, "class_labels": classes}}),
        "samples/audio": Audio(audio, sample_rate=sr, caption=f"{220 + 440 * t:.0f} Hz"),
        "samples/video": Video(frames, fps=4),
        "samples/report": Html(f"<h3>Step {step}</h3><p>accuracy <b>{acc:.3f}</b> at lr {lr}</p>"),
        "eval/predictions": table,
        "eval/point_cloud": Object3D(cloud_rgb),
        "eval/scene": Object3D({
            "type": "lidar/beta", "points": cloud,
            "boxes": [{"corners": _cube(0.8 + t), "label": "car", "color": [255, 120, 0]}],
            "vectors": [{"start": [0, 0, 0], "end": [1.5, 0.5 * t, 0.8]}],
        }),
    }


def _summary_extras(rng: np.random.Generator, lr: float) -> dict[str, Any]:
    """Summary values and charts that only exist once, at the end of a run."""
    from . import plot
    from .types import Histogram, Table

    out: dict[str, Any] = {"final/weights": Histogram(rng.normal(size=5000)), "lr_tried": lr}
    y_true = rng.integers(0, 3, 300)
    probs = rng.dirichlet(np.ones(3), 300)
    probs[np.arange(300), y_true] += 0.6
    probs /= probs.sum(axis=1, keepdims=True)
    labels = ["background", "cat", "dog"]
    out["charts/pr"] = plot.pr_curve(y_true, probs, labels=labels)
    out["charts/roc"] = plot.roc_curve(y_true, probs, labels=labels)
    out["charts/confusion"] = plot.confusion_matrix(probs=probs, y_true=y_true, class_names=labels)
    xs = np.linspace(0, 1, 50)
    out["charts/calibration"] = plot.line(
        Table(columns=["confidence", "accuracy"], data=[[float(x), float(x ** 1.2)] for x in xs]),
        "confidence", "accuracy", title="Calibration")
    out.update(_optional_charts(lr))
    return out


def _optional_charts(lr: float) -> dict[str, Any]:
    """Molecules, plotly and matplotlib need optional extras; the demo logs what is installed."""
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from .types import Molecule

            out["chem/caffeine"] = Molecule.from_smiles("CN1C=NC2=C1C(=O)N(C(=O)N2C)C", caption="caffeine")
        except ImportError:
            pass
        try:
            import plotly.graph_objects as go

            out["charts/plotly"] = go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2]))
        except ImportError:
            pass
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots()
            ax.plot([1, 2, 3, 4], [lr, lr * 2, lr * 1.5, lr * 3], label="lr schedule")
            ax.set_title("matplotlib figure")
            ax.legend()
            out["charts/matplotlib"] = fig
            plt.close(fig)
        except ImportError:
            pass
    return out


def _picture(t: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    h, w = 96, 128
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([xx / w, yy / h, np.full((h, w), t)], axis=-1)
    img = np.clip(img + 0.05 * rng.standard_normal((h, w, 3)), 0, 1)
    mask = np.zeros((h, w), dtype=np.int64)
    mask[int(0.15 * h):int(0.6 * h), int(0.1 * w):int(0.45 * w)] = 1
    mask[int(0.45 * h):int(0.85 * h), int(0.55 * w):int(0.85 * w)] = 2
    return (img * 255).astype(np.uint8), mask


def _frame(k: int, t: float) -> np.ndarray:
    h = w = 48
    frame = np.zeros((3, h, w), dtype=np.uint8)
    x = int((k / 8 + t) * (w - 10)) % (w - 10)
    frame[0, 10:20, x:x + 10] = 255
    frame[2] = 60
    return frame


def _cube(size: float) -> list[list[float]]:
    return [[x * size, y * size, z * size] for x in (0, 1) for y in (0, 1) for z in (0, 1)]


def serve(root: Path, host: str, port: int) -> None:
    """Serve the UI over ``root`` until Ctrl+C (needs the ``server`` extra)."""
    import uvicorn

    from .server import create_app
    from .server.app import uvicorn_options

    uvicorn.run(create_app(root), host=host, port=port, **uvicorn_options())

