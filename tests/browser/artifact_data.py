"""Runs with artifacts for the Artifacts page's browser test, logged as a training script would:
raw -> (prep) -> clean v0, v1 -> (train) -> net; (eval) uses net."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np


def png(seed: int) -> bytes:
    from PIL import Image

    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def make_artifacts(root: Path, tmp: Path) -> dict[str, str]:
    import runyard

    raw_dir = tmp / "raw"
    (raw_dir / "images").mkdir(parents=True)
    (raw_dir / "README.txt").write_text("Two images and their labels.\n")
    for i in range(2):
        (raw_dir / "images" / f"img{i}.png").write_bytes(png(i))
    ids: dict[str, str] = {}
    with runyard.init(project="lab", dir=root, name="ingest") as run:
        raw = runyard.Artifact("raw", "dataset", description="camera dump", metadata={"source": "camera", "count": 2})
        raw.add_dir(raw_dir)
        raw.add(runyard.Table(columns=["file", "label"], data=[["img0.png", "cat"], ["img1.png", "dog"]]), "labels")
        run.log_artifact(raw, aliases=["first"])
        ids["ingest"] = run.id
    with runyard.init(project="lab", dir=root, name="prep") as run:
        run.use_artifact("raw:first")
        for rows in (["1,cat"], ["1,cat", "2,dog"]):
            clean = runyard.Artifact("clean", "dataset", metadata={"rows": len(rows)})
            with clean.new_file("rows.csv") as f:
                f.write("\n".join(rows) + "\n")
            if len(rows) == 2:
                with clean.new_file("stats.json") as f:
                    f.write(json.dumps({"rows": 2}))
            run.log_artifact(clean, aliases=["best"] if len(rows) == 2 else None)
        ids["prep"] = run.id
    with runyard.init(project="lab", dir=root, name="train") as run:
        run.use_artifact("clean:best")
        weights = tmp / "model.bin"
        weights.write_bytes(b"\x00weights" * 100)
        run.log_model(weights, name="net", aliases=["prod"])
        ids["train"] = run.id
    with runyard.init(project="lab", dir=root, name="eval") as run:
        run.use_artifact("net:prod")
        ids["eval"] = run.id
    return ids
