"""The reference's examples for tables, molecules, 3-D objects, custom charts and matplotlib, run
unchanged through ``import runyard as wandb`` and read back through the API (docs/media-refs.md)."""

from __future__ import annotations

import gc
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import pytest  # noqa: E402
import trimesh  # noqa: E402

import runyard  # noqa: E402
import runyard as wandb  # noqa: E402

ALA3 = Path(__file__).resolve().parents[1] / "fixtures" / "molecules" / "ala3.pdb"


@pytest.fixture(autouse=True)
def _no_open_figures() -> Iterator[None]:
    plt.close("all")
    yield
    plt.close("all")


def _history(tmp_path: Path, run_id: str) -> list[dict[str, Any]]:
    return list(runyard.Api(root=tmp_path).run(f"p/{run_id}").scan_history())


def _start(tmp_path: Path) -> Any:
    return wandb.init(dir=tmp_path, project="p")


def test_reference_tables(tmp_path: Path) -> None:
    run = _start(tmp_path)
    # Method 1
    data = [["I love my phone", "1", "1"], ["My phone sucks", "0", "-1"]]
    wandb.log({"examples": wandb.Table(data=data, columns=["Text", "Predicted Label", "True Label"])})
    # Method 2
    table = wandb.Table(columns=["Text", "Predicted Label", "True Label"])
    table.add_data("I love my phone", "1", "1")
    table.add_data("My phone sucks", "0", "-1")
    wandb.log({"examples": table})
    # a pandas DataFrame, with a NaN and a missing string
    my_dataframe = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]})
    wandb.log({"frame": wandb.Table(dataframe=my_dataframe)})
    wandb.finish()

    rows = _history(tmp_path, run.id)
    first, second = rows[0]["examples"], rows[1]["examples"]
    assert first.columns == ["Text", "Predicted Label", "True Label"] and first.data == data
    assert second.data == data  # the same content: one file
    assert first.path == second.path
    frame = rows[2]["frame"].get_dataframe()
    assert frame["a"].iloc[0] == 1.0 and math.isnan(frame["a"].iloc[1])
    assert frame["b"].iloc[0] == "x" and pd.isna(frame["b"].iloc[1])
    assert rows[2]["frame"].get_column("b") == ["x", None]


def test_rows_added_after_logging_are_not_part_of_the_logged_table(tmp_path: Path) -> None:
    run = _start(tmp_path)
    table = wandb.Table(columns=["n"])
    table.add_data(1)
    wandb.log({"t": table})
    for i in range(2, 200):
        table.add_data(i)
    wandb.finish()
    assert _history(tmp_path, run.id)[0]["t"].data == [[1]]


def test_table_with_media_cells(tmp_path: Path) -> None:
    run = _start(tmp_path)
    image = wandb.Image(np.full((4, 4, 3), 200, dtype=np.uint8))
    wandb.log({"preds": wandb.Table(columns=["image", "score"], data=[[image, 0.5], [None, float("inf")]])})
    wandb.finish()
    table = _history(tmp_path, run.id)[0]["preds"]
    cell = table.data[0][0]
    assert cell.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert table.data[1] == [None, math.inf]


def test_reference_molecule(tmp_path: Path) -> None:
    run = _start(tmp_path)
    with pytest.warns(ResourceWarning):  # the reference's example leaves its file open
        wandb.log({"protein": wandb.Molecule(open(ALA3))})
        gc.collect()
    with open(ALA3) as f:
        wandb.log({"molecules": [wandb.Molecule(f, caption="ala3"), wandb.Molecule.from_smiles("CCO")]})
    wandb.finish()
    rows = _history(tmp_path, run.id)
    protein = rows[0]["protein"]
    assert protein.kind == "molecule-file" and protein.read_bytes() == ALA3.read_bytes()
    assert protein.ref["format"] == "pdb"
    ala3, ethanol = rows[1]["molecules"]
    assert ala3.caption == "ala3" and ala3.path == protein.path
    from rdkit import Chem

    assert Chem.MolFromPDBFile(str(ethanol.path), removeHs=False).GetNumAtoms() == 9


def test_reference_3d_objects_point_clouds_and_scene(tmp_path: Path) -> None:
    mesh = trimesh.creation.icosphere(subdivisions=1)
    work = tmp_path / "work"
    work.mkdir()
    (work / "sample.obj").write_text(trimesh.exchange.obj.export_obj(mesh))
    (work / "sample.gltf").write_bytes(
        trimesh.exchange.gltf.export_gltf(mesh.scene(), embed_buffers=True)["model.gltf"]
    )
    (work / "sample.glb").write_bytes(trimesh.exchange.gltf.export_glb(mesh.scene()))
    cwd = os.getcwd()
    os.chdir(work)
    try:
        run = _start(tmp_path)
        with pytest.warns(ResourceWarning):  # the reference's example leaves its files open
            wandb.log({"generated_samples":
                       [wandb.Object3D(open("sample.obj")),
                        wandb.Object3D(open("sample.gltf")),
                        wandb.Object3D(open("sample.glb"))]})
            gc.collect()
    finally:
        os.chdir(cwd)
    point_cloud = np.array([[0, 0, 0, 255, 0, 0], [1, 1, 1, 0, 255, 0]])
    wandb.log({"point_cloud": wandb.Object3D(point_cloud)})
    wandb.log(
        {
            "point_scene": wandb.Object3D(
                {
                    "type": "lidar/beta",
                    "points": np.array(
                        [
                            [0.4, 1, 1.3],
                            [1, 1, 1],
                            [1.2, 1, 1.2]
                        ]
                    ),
                    "boxes": np.array(
                        [
                            {
                                "corners": [
                                    [0, 0, 0],
                                    [0, 1, 0],
                                    [0, 0, 1],
                                    [1, 0, 0],
                                    [1, 1, 0],
                                    [0, 1, 1],
                                    [1, 0, 1],
                                    [1, 1, 1]
                                ],
                                "label": "Box",
                                "color": [123, 321, 111],
                            },
                            {
                                "corners": [
                                    [0, 0, 0],
                                    [0, 2, 0],
                                    [0, 0, 2],
                                    [2, 0, 0],
                                    [2, 2, 0],
                                    [0, 2, 2],
                                    [2, 0, 2],
                                    [2, 2, 2]
                                ],
                                "label": "Box-2",
                                "color": [111, 321, 0],
                            }
                        ]
                    ),
                    "vectors": [
                        {"start": [0, 0, 0], "end": [0.1, 0.2, 0.5]}
                    ]
                }
            )
        }
    )
    wandb.finish()
    rows = _history(tmp_path, run.id)
    samples = rows[0]["generated_samples"]
    assert [s.ref["format"] for s in samples] == ["obj", "gltf", "glb"]
    for view in samples:
        loaded = trimesh.load(str(view.path), force="mesh")
        assert len(loaded.faces) == len(mesh.faces)
    cloud = json.loads(rows[1]["point_cloud"].read_bytes())
    assert cloud["format"] == "xyzrgb" and cloud["points"][1] == [1.0, 1.0, 1.0, 0, 255, 0]
    scene_view = rows[2]["point_scene"]
    assert scene_view.ref["box_count"] == 2 and scene_view.ref["point_count"] == 3
    scene = json.loads(scene_view.read_bytes())
    assert [b["color"] for b in scene["boxes"]] == [[123, 255, 111], [111, 255, 0]]


def test_reference_custom_charts(tmp_path: Path) -> None:
    run = _start(tmp_path)
    x_values, y_values = [1, 2, 3], [2, 4, 8]
    data = [[x, y] for (x, y) in zip(x_values, y_values, strict=True)]
    table = wandb.Table(data=data, columns=["x", "y"])
    wandb.log({"my_custom_plot_id": wandb.plot.line(table, "x", "y", title="Custom Y vs X Line Plot")})

    class_x_prediction_scores, class_y_prediction_scores = [0.1, 0.7], [0.9, 0.3]
    data = [[x, y] for (x, y) in zip(class_x_prediction_scores, class_y_prediction_scores, strict=True)]
    table = wandb.Table(data=data, columns=["class_x", "class_y"])
    wandb.log({"my_custom_id": wandb.plot.scatter(table, "class_x", "class_y")})

    labels, values = ["cat", "dog"], [3, 5]
    data = [[label, val] for (label, val) in zip(labels, values, strict=True)]
    table = wandb.Table(data=data, columns=["label", "value"])
    wandb.log({"my_bar_chart_id": wandb.plot.bar(table, "label", "value", title="Custom Bar Chart")})

    scores = [0.1, 0.4, 0.4, 0.9]
    data = [[s] for s in scores]
    table = wandb.Table(data=data, columns=["scores"])
    wandb.log({"my_histogram": wandb.plot.histogram(table, "scores", title=None)})

    ground_truth = [0, 0, 1, 1]
    predictions = np.array([[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]])
    wandb.log({"pr": wandb.plot.pr_curve(ground_truth, predictions, labels=None, classes_to_plot=None)})
    wandb.log({"roc": wandb.plot.roc_curve(ground_truth, predictions,
                                           labels=None, classes_to_plot=None)})
    class_names = ["cat", "dog"]
    wandb.log({"conf_mat": wandb.plot.confusion_matrix(
        predictions.argmax(axis=1), ground_truth, class_names)})

    data = [[0, 1.5], [1, 1.7]]
    table = wandb.Table(data=data, columns=["step", "height"])
    fields = {"x": "step",
              "value": "height"}
    my_custom_chart = wandb.plot_table(vega_spec_name="carey/new_chart",
                                       data_table=table,
                                       fields=fields,
                                       )
    wandb.log({"custom": my_custom_chart})
    wandb.finish()

    rows = _history(tmp_path, run.id)
    line = rows[0]["my_custom_plot_id"]
    assert line["_type"] == "custom-chart" and line["preset"] == "runyard/line"
    assert line["title"] == "Custom Y vs X Line Plot" and line["table"].data == [[1, 2], [2, 4], [3, 8]]
    assert rows[1]["my_custom_id"]["preset"] == "runyard/scatter"
    assert rows[2]["my_bar_chart_id"]["table"].data == [["cat", 3], ["dog", 5]]
    assert rows[3]["my_histogram"]["fields"] == {"value": "scores"}
    pr = rows[4]["pr"]["table"]
    assert pr.columns == ["class", "precision", "recall"] and {r[0] for r in pr.data} == {0, 1}
    roc = rows[5]["roc"]["table"]
    assert [r[1:] for r in roc.data if r[0] == 1] == [[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]]
    conf = rows[6]["conf_mat"]["table"]
    # predicted classes: [0, 0, 0, 1] against truth [0, 0, 1, 1]
    assert conf.data == [["cat", "cat", 2], ["cat", "dog", 0], ["dog", "cat", 1], ["dog", "dog", 1]]
    custom = rows[7]["custom"]
    assert custom["preset"] == "carey/new_chart" and custom["fields"] == fields
    assert custom["table"].data == data


def test_reference_matplotlib_and_plotly(tmp_path: Path) -> None:
    run = _start(tmp_path)
    plt.plot([1, 2, 3, 4])
    plt.ylabel("some interesting numbers")
    wandb.log({"chart": plt})
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 3]))
    wandb.log({"plotly": fig})
    wandb.finish()
    rows = _history(tmp_path, run.id)
    chart = rows[0]["chart"]
    assert chart.kind == "plotly-file"
    doc = json.loads(chart.read_bytes())
    assert doc["data"][0]["y"] == [1.0, 2.0, 3.0, 4.0]
    assert doc["layout"]["yaxis"]["title"]["text"] == "some interesting numbers"
    bar = json.loads(rows[1]["plotly"].read_bytes())
    assert bar["data"][0]["type"] == "bar" and bar["data"][0]["x"] == ["a", "b"]


def test_unconvertible_figure_is_logged_as_an_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runyard.types import foreign

    monkeypatch.setattr(foreign, "_warned_png", False)
    run = _start(tmp_path)
    fig, ax = plt.subplots()
    ax.imshow(np.eye(3))
    with pytest.warns(UserWarning, match="stored as a PNG image"):
        wandb.log({"heatmap": fig})
    wandb.finish()
    view = _history(tmp_path, run.id)[0]["heatmap"]
    assert view.kind == "image-file" and view.path.read_bytes()[:4] == b"\x89PNG"
